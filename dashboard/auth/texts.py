"""The interface texts of dashboard/auth (registered with dashboard.i18n when the package is imported)."""

from __future__ import annotations

from dashboard import i18n

TEXTS: dict[str, tuple[str, str]] = {
    "login": ("登录", "Log in"),
    "logout": ("退出登录", "Log out"),
    "login_title": ("工作人员登录", "Staff login"),
    "login_intro": ("统计数据、进展和方法说明对所有人公开；质量矩阵、报送和报送日历需要登录。",
                    "Statistics, progress and methods are public; the quality matrix, submissions and the reporting "
                    "calendar need a login."),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码不正确。", "Wrong user name or password."),
    "login_throttled": ("登录失败次数过多，请稍后再试。", "Too many failed logins; try again later."),
    "signed_in_as": ("已登录：", "Signed in as "),
    "back_to_dashboard": ("返回监测平台", "Back to the dashboard"),
    "submit_nav": ("数据报送", "Submit data"),
    "submissions_nav": ("报送记录", "Submissions"),
    "calendar_nav": ("报送日历", "Reporting calendar"),
    "login_to_see_details": ("批次和文件信息仅对已登录的工作人员显示。",
                             "Batch and file details are shown to logged-in staff only."),
    "pdf_one_at_a_time": ("您已有一份报告正在生成，请等它完成后再试。",
                          "A report of yours is being built; try again when it is done."),
    "pdf_not_ready": ("该公报正在准备中，请稍后再来，或登录后立即生成。",
                      "This bulletin is being prepared; come back later, or log in to render it now."),
    "render_running": ("您已有一份公报正在生成，请等它完成。",
                       "A bulletin of yours is already being rendered; wait for it to finish."),
}

i18n.add(TEXTS)
