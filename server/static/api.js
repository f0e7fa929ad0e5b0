/* idtool phone page: the API client (token, JSON calls, multipart uploads with progress). */

import { lang } from "./i18n.js";

export const API = "/api/v1";
export const TOKEN_KEY = "idtool.token";

export function token() { return localStorage.getItem(TOKEN_KEY); }

export function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + token(), "Accept-Language": lang() }, options.headers || {});
  return fetch(API + path, Object.assign({}, options, { headers }));
}

/* One multipart request with XHR (for upload progress). Resolves {status, body};
 * status 0 means the network failed (the item stays queued). The timeout allows a
 * slow link: at least 2 minutes, else 4 KB/s for the whole body. */
export function sendForm(method, path, key, blob, filename, fields, onProgress) {
  return new Promise((resolve) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields || {})) if (v) form.append(k, v);
    form.append("image", blob, filename || "photo.jpg");
    const xhr = new XMLHttpRequest();
    xhr.open(method, API + path);
    xhr.setRequestHeader("Authorization", "Bearer " + token());
    xhr.setRequestHeader("Idempotency-Key", key);
    xhr.setRequestHeader("Accept-Language", lang());
    xhr.timeout = Math.max(120000, blob.size / 4);
    if (onProgress) xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = xhr.ontimeout = xhr.onabort = () => resolve({ status: 0, body: null });
    xhr.send(form);
  });
}

export const retryable = (status) => status === 0 || status === 429 || status >= 500;
