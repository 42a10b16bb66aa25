/* The submission portal's upload: the file dcc.Upload read (a base64 data URL) is posted as multipart to the
   portal's own route with the session's CSRF token, so that the bytes never travel inside a Dash callback. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    portal: {
        upload: async function (contents, filename, region, period, config) {
            if (!contents || !config) {
                return window.dash_clientside.no_update;
            }
            const comma = contents.indexOf(",");
            const binary = atob(contents.slice(comma + 1));
            const bytes = new Uint8Array(binary.length);
            for (let i = 0; i < binary.length; i++) {
                bytes[i] = binary.charCodeAt(i);
            }
            const form = new FormData();
            form.append("file", new Blob([bytes]), filename || "upload");
            form.append("region", region || "");
            form.append("period", period || "");
            try {
                const response = await fetch(config.url, {
                    method: "POST", body: form, credentials: "same-origin",
                    headers: {"X-CSRFToken": config.csrf}
                });
                const answer = await response.json();
                return Object.assign({status: response.status, at: Date.now()}, answer);
            } catch (err) {
                return {status: 0, error: 0, message_zh: "上传失败：" + err, message_en: "upload failed: " + err,
                        at: Date.now()};
            }
        }
    }
});
