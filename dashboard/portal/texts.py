"""The portal's interface texts (Chinese, English), registered with dashboard.i18n when the portal is imported."""

from __future__ import annotations

from dashboard import i18n

TEXTS: dict[str, tuple[str, str]] = {
    "portal_submit": ("数据报送", "Submit data"),
    "portal_submissions": ("报送记录", "Submissions"),
    "portal_unit": ("报送单位", "Unit"),
    "portal_period": ("统计期", "Period"),
    "portal_period_hint": ("如 2024、2024Q1、2024M03", "e.g. 2024, 2024Q1, 2024M03"),
    "portal_template": ("下载报送模板", "Download the template"),
    "portal_template_xlsx": ("模板 XLSX", "Template XLSX"),
    "portal_template_csv": ("模板 CSV", "Template CSV"),
    "portal_drop": ("将文件拖放到此处，或点击选择文件（XLSX、CSV、TSV）",
                    "Drop a file here or click to choose one (XLSX, CSV, TSV)"),
    "portal_checking": ("正在校验……", "Checking…"),
    "portal_report": ("校验报告", "Validation report"),
    "portal_errors": ("错误", "Errors"),
    "portal_warnings": ("警告", "Warnings"),
    "portal_no_problems": ("没有发现问题", "No problems found"),
    "portal_download_problems": ("下载问题清单（CSV）", "Download the problems (CSV)"),
    "portal_explain": ("说明（可选）", "Explanation (optional)"),
    "portal_explain_hint": ("警告不影响报送；可逐条说明原因，随报送一并保存",
                            "Warnings do not stop a submission; you may explain each one, it is kept with it"),
    "portal_submit_button": ("提交报送", "Submit"),
    "portal_fix_first": ("文件有错误，不能提交；请改正后重新上传", "The file has errors and cannot be submitted; correct it "
                         "and upload it again"),
    "portal_queued": ("已提交：报送编号 {id}，状态“排队待入库”", "Submitted: submission {id}, status queued"),
    "portal_view_submissions": ("查看报送记录", "View your submissions"),
    "portal_upload_failed": ("上传失败", "Upload failed"),
    "portal_expired": ("这份上传已提交或已过期，请重新上传", "This upload was already submitted or has expired; upload "
                       "the file again"),
    "portal_line": ("行", "Line"),
    "portal_column": ("列", "Column"),
    "portal_value": ("原值", "Value"),
    "portal_rule": ("规则", "Rule"),
    "portal_message": ("说明", "Message"),
    "portal_id": ("编号", "No."),
    "portal_file": ("文件", "File"),
    "portal_submitter": ("报送人", "Submitted by"),
    "portal_submitted_at": ("提交时间", "Submitted at"),
    "portal_status": ("状态", "Status"),
    "portal_via": ("方式", "Via"),
    "portal_show_report": ("点击一行查看其校验报告", "Click a row to see its report"),
    "portal_none": ("还没有报送记录", "No submissions yet"),
    "portal_status_queued": ("排队待入库", "queued"),
    "portal_status_loading": ("正在入库", "loading"),
    "portal_status_loaded": ("已入库（批次 {batch}）", "loaded as batch {batch}"),
    "portal_status_rejected": ("退回", "rejected"),
    "portal_status_failed": ("内部错误", "failed"),
    "portal_not_allowed": ("该账号不能报送数据", "This account may not submit data"),
    "portal_explanations": ("报送人的说明", "The submitter's explanations"),
    "portal_explain_later": ("说明警告", "Explain the warnings"),
    "portal_explain_later_hint": ("该批次仍在审核中：每条警告须有说明，审核才能通过。可补充或修改说明后保存",
                                  "The batch is under review: it can be approved only once every warning is "
                                  "explained. Add or change the explanations and save"),
    "portal_explain_save": ("保存说明", "Save the explanations"),
    "portal_explain_saved": ("已保存 {n} 条说明", "{n} explanation(s) saved"),
    "portal_explain_missing": ("尚未说明", "not explained yet"),
}

i18n.add(TEXTS)
