/*
 * Berdaya field forms on a phone with a bad signal. No libraries; plain ES2017 for old Android browsers.
 *
 * A form marked `data-offline`:
 *  - gets a `client_uuid` when it is opened; the server stores a form sent twice under that code once;
 *  - keeps every input as a draft in localStorage (keyed by the form's action), restored when the page is
 *    opened again; the draft keeps its client_uuid, so a restored form re-sent is still stored once;
 *  - is sent with fetch. If the phone is offline, the request fails or takes too long, the submission goes
 *    to an outbox in localStorage and is sent on the `online` event, on every page load and every 15 s
 *    while something waits. A draft is removed only when the server confirms.
 *  - The server answers JSON (header X-Berdaya-Form: fetch): {ok, redirect} or a refusal with a message
 *    (4xx), which is shown and never retried. Anything else (a login page, a 5xx) is retried later.
 *
 * Photos: a File cannot be kept in localStorage, so a photo is downscaled in the browser (longest side
 * 1280 px, JPEG) before it is sent, which also spares a slow connection; a queued visit keeps that small
 * copy as a data URL. If the phone's storage is full, the visit is queued without its photo and the
 * notice says so.
 *
 * Also: the geolocation button of the visit form and the attendance tally of the meeting form.
 */
(function () {
  "use strict";
  if (window.BerdayaOffline) return; // loaded twice (a page and the base layout): one set of handlers
  var DRAFT_PREFIX = "berdaya:draft:";
  var OUTBOX_KEY = "berdaya:outbox";
  var REJECTED_KEY = "berdaya:rejected";
  var TIMEOUT_MS = 30000;
  var RETRY_MS = 15000;
  var PHOTO_MAX_SIDE = 1280;
  var PHOTO_QUALITY = 0.7;
  var QUEUED_PHOTO_MAX_CHARS = 1500000;

  // Indonesian defaults; the page replaces them with its translated texts (json_script).
  var T = {
    queued: "Tersimpan di ponsel; akan dikirim otomatis saat sinyal kembali.",
    queuedNoPhoto: "Tersimpan di ponsel tanpa foto (memori ponsel penuh); akan dikirim otomatis saat sinyal kembali.",
    waiting: "Formulir ini sudah tersimpan di ponsel dan menunggu sinyal untuk dikirim.",
    sending: "Mengirim…",
    sent: "Catatan yang tersimpan di ponsel sudah terkirim.",
    pending: "catatan menunggu dikirim.",
    rejected: "Catatan tidak diterima server",
    restored: "Isian yang belum terkirim dipulihkan.",
    clear: "Kosongkan formulir",
    dismiss: "Tutup",
    geoWorking: "Mencari lokasi…",
    geoFailed: "Lokasi tidak dapat diambil",
    geoNone: "Lokasi belum diambil.",
    geoUnsupported: "Ponsel ini tidak dapat memberi lokasi.",
    geoAt: "Lokasi",
    accuracy: "ketelitian"
  };

  // ------------------------------------------------------------------ storage

  function read(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function write(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) {
      return false; // quota full or storage disabled: the caller decides what to give up
    }
  }

  function remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) { /* nothing stored, nothing to remove */ }
  }

  function outbox() { return read(OUTBOX_KEY, []); }
  function rejected() { return read(REJECTED_KEY, []); }

  function outboxPut(entry) {
    var items = outbox().filter(function (item) { return item.uuid !== entry.uuid; });
    items.push(entry);
    return write(OUTBOX_KEY, items);
  }

  function outboxDrop(uuid) {
    write(OUTBOX_KEY, outbox().filter(function (item) { return item.uuid !== uuid; }));
  }

  // ------------------------------------------------------------------ helpers

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // randomUUID needs a secure context (https); a plain-http installation still gets a version-4 UUID.
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function currentUser() {
    var meta = document.querySelector('meta[name="berdaya-user"]');
    return meta ? meta.getAttribute("content") : null;
  }

  function csrfToken() {
    // The cookie first: a page opened before signing in again holds a token that no longer counts.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function actionOf(form) {
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    return url.pathname + url.search;
  }

  function draftKey(form) { return DRAFT_PREFIX + actionOf(form); }

  function uuidInput(form) {
    var input = form.querySelector('input[name="client_uuid"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "client_uuid";
      form.appendChild(input);
    }
    return input;
  }

  function kept(element) {
    if (!element.name || element.disabled || element.name === "csrfmiddlewaretoken") return false;
    return ["file", "submit", "button", "reset", "password"].indexOf(element.type) === -1;
  }

  function collect(form) {
    var pairs = [];
    var names = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) return;
      if (names.indexOf(el.name) === -1) names.push(el.name);
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { pairs.push([el.name, o.value]); });
      } else {
        pairs.push([el.name, el.value]);
      }
    });
    return { pairs: pairs, names: names };
  }

  function restore(form, draft) {
    var has = function (name, value) {
      return draft.pairs.some(function (p) { return p[0] === name && p[1] === value; });
    };
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || draft.names.indexOf(el.name) === -1) return;
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = has(el.name, el.value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = has(el.name, o.value); });
      } else {
        var pair = draft.pairs.filter(function (p) { return p[0] === el.name; })[0];
        el.value = pair ? pair[1] : "";
      }
    });
  }

  function saveDraft(form) {
    var data = collect(form);
    write(draftKey(form), { uuid: uuidInput(form).value, pairs: data.pairs, names: data.names, at: Date.now() });
  }

  function clearDraftFor(action, uuid) {
    var key = DRAFT_PREFIX + action;
    var draft = read(key, null);
    if (draft && draft.uuid === uuid) remove(key);
  }

  // ------------------------------------------------------------------ notices

  function noticeBox(form) {
    var box = (form && form.querySelector("[data-offline-notice]")) || document.querySelector("[data-offline-notice]");
    if (!box) {
      box = document.createElement("div");
      box.className = "offline-notice";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      box.setAttribute("data-offline-notice", "");
      var main = document.querySelector("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    return box;
  }

  function notify(box, text, kind, button) {
    box.hidden = false;
    box.className = "offline-notice" + (kind ? " " + kind : "");
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    if (button) box.appendChild(button);
  }

  function showErrors(form, body) {
    var box = form.querySelector("[data-offline-errors]") || noticeBox(form);
    box.hidden = false;
    box.textContent = "";
    var list = document.createElement("ul");
    list.className = "errorlist";
    var items = [body.message || T.rejected].concat((body.errors || []).map(function (e) {
      return (e.field ? e.field + ": " : "") + e.message;
    }));
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    });
    box.appendChild(list);
    box.scrollIntoView({ block: "start" });
  }

  function renderStatus() {
    var user = currentUser();
    var waiting = outbox().filter(function (e) { return e.user === user; });
    var refused = rejected().filter(function (e) { return e.user === user; });
    var form = document.querySelector("form[data-offline]");
    if (form) {
      var mine = waiting.filter(function (e) { return e.uuid === uuidInput(form).value; });
      if (mine.length) {
        notify(noticeBox(form), mine[0].photoDropped ? T.queuedNoPhoto : T.waiting);
        return;
      }
    }
    if (refused.length) {
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.textContent = T.dismiss;
      dismiss.addEventListener("click", function () {
        write(REJECTED_KEY, rejected().filter(function (e) { return e.user !== user; }));
        renderStatus();
      });
      notify(noticeBox(form), T.rejected + ": " + refused.map(function (e) {
        return e.label + " — " + e.message;
      }).join("; "), "bad", dismiss);
      return;
    }
    if (waiting.length) {
      notify(noticeBox(form), waiting.length + " " + T.pending);
    }
  }

  // ------------------------------------------------------------------ photos

  function downscale(file) {
    return new Promise(function (resolve) {
      if (!file || !/^image\//.test(file.type) || !window.URL || !HTMLCanvasElement.prototype.toBlob) {
        resolve(file);
        return;
      }
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          URL.revokeObjectURL(url);
          resolve(blob && blob.size < file.size ? blob : file);
        }, "image/jpeg", PHOTO_QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  function photosOf(form) {
    var inputs = Array.prototype.filter.call(form.elements, function (el) {
      return el.type === "file" && el.name && el.files && el.files.length;
    });
    return Promise.all(inputs.map(function (el) {
      return downscale(el.files[0]).then(function (blob) {
        var name = blob === el.files[0] ? el.files[0].name : "foto.jpg";
        return { name: el.name, blob: blob, filename: name };
      });
    }));
  }

  function toDataURL(blob) {
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { resolve(null); };
      reader.readAsDataURL(blob);
    });
  }

  function fromDataURL(data) {
    var parts = data.split(",");
    var mime = (parts[0].match(/data:([^;]+)/) || [null, "application/octet-stream"])[1];
    var binary = atob(parts[1]);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: mime });
  }

  // ------------------------------------------------------------------ sending

  function send(entry) {
    var body = new FormData();
    entry.pairs.forEach(function (p) { if (p[0] !== "client_uuid") body.append(p[0], p[1]); });
    body.append("client_uuid", entry.uuid);
    var token = csrfToken();
    body.append("csrfmiddlewaretoken", token);
    (entry.files || []).forEach(function (f) {
      var blob = f.blob || (f.data ? fromDataURL(f.data) : null);
      if (blob) body.append(f.name, blob, f.filename);
    });
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    return fetch(entry.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": token,
        "X-Berdaya-Form": "fetch",
        "X-Berdaya-Queued": entry.queued ? "1" : "0",
        Accept: "application/json"
      },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      clearTimeout(timer);
      var type = response.headers.get("content-type") || "";
      // A login page or a proxy's error page: not an answer about this form, so try again later.
      if (type.indexOf("application/json") === -1) return { kind: "retry" };
      return response.json().then(function (data) {
        if (response.ok && data.ok) return { kind: "ok", body: data };
        if (response.status >= 400 && response.status < 500) return { kind: "refused", body: data };
        return { kind: "retry" };
      });
    }).catch(function () {
      clearTimeout(timer);
      return { kind: "retry" };
    });
  }

  function queue(form, entry) {
    entry.queued = true;
    var files = entry.files || [];
    return Promise.all(files.map(function (f) {
      return toDataURL(f.blob).then(function (data) {
        return data && data.length <= QUEUED_PHOTO_MAX_CHARS ? { name: f.name, data: data, filename: f.filename } : null;
      });
    })).then(function (stored) {
      entry.files = stored.filter(Boolean);
      entry.photoDropped = entry.files.length < files.length;
      if (!outboxPut(entry)) {
        entry.files = [];
        entry.photoDropped = files.length > 0;
        outboxPut(entry);
      }
      notify(noticeBox(form), entry.photoDropped ? T.queuedNoPhoto : T.queued);
      scheduleRetry();
    });
  }

  var flushing = false;
  var retryTimer = null;

  function scheduleRetry() {
    if (retryTimer === null) retryTimer = setInterval(flush, RETRY_MS);
  }

  function flush() {
    var user = currentUser();
    // Without knowing who is signed in (the sign-in page), nothing is sent: a queued form goes out only
    // under the account that filled it.
    if (flushing || navigator.onLine === false || !user) return Promise.resolve();
    var items = outbox().filter(function (e) { return e.user === user; });
    if (!items.length) {
      if (retryTimer !== null) { clearInterval(retryTimer); retryTimer = null; }
      return Promise.resolve();
    }
    flushing = true;
    var sent = 0;
    var next = function (i) {
      if (i >= items.length) return Promise.resolve(true);
      var entry = items[i];
      return send(entry).then(function (result) {
        if (result.kind === "retry") return false;
        outboxDrop(entry.uuid);
        if (result.kind === "ok") {
          sent += 1;
          clearDraftFor(entry.action, entry.uuid);
        } else {
          var list = rejected();
          list.push({ uuid: entry.uuid, user: entry.user, label: entry.label,
            message: (result.body && result.body.message) || "" });
          write(REJECTED_KEY, list);
        }
        return next(i + 1);
      });
    };
    return next(0).then(function () {
      flushing = false;
      var form = document.querySelector("form[data-offline]");
      // The form on screen was the one just sent: open it fresh so the next entry gets its own code.
      if (form && sent && !outbox().some(function (e) { return e.uuid === uuidInput(form).value; })) {
        if (!read(draftKey(form), null)) {
          form.reset();
          uuidInput(form).value = uuid4();
          form.dispatchEvent(new Event("berdaya:reset"));
        }
      }
      renderStatus();
      if (sent && !rejected().some(function (e) { return e.user === user; })) {
        notify(noticeBox(form), T.sent, "sent");
      }
      if (outbox().some(function (e) { return e.user === user; })) scheduleRetry();
    });
  }

  // ------------------------------------------------------------------ forms

  function setUp(form) {
    var input = uuidInput(form);
    var draft = read(draftKey(form), null);
    if (draft && draft.pairs) {
      restore(form, draft);
      input.value = draft.uuid || uuid4();
      var clear = document.createElement("button");
      clear.type = "button";
      clear.className = "button secondary";
      clear.textContent = T.clear;
      clear.addEventListener("click", function () {
        remove(draftKey(form));
        form.reset();
        input.value = uuid4();
        noticeBox(form).hidden = true;
        form.dispatchEvent(new Event("berdaya:reset"));
      });
      notify(noticeBox(form), T.restored, "", clear);
    } else {
      input.value = uuid4();
    }
    var save = function () { saveDraft(form); };
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.hasAttribute("data-busy")) return;
      saveDraft(form);
      form.setAttribute("data-busy", "");
      var data = collect(form);
      var entry = { uuid: input.value, action: actionOf(form), pairs: data.pairs, user: currentUser(),
        label: form.getAttribute("data-offline-label") || document.title, at: Date.now() };
      notify(noticeBox(form), T.sending);
      photosOf(form).then(function (files) {
        entry.files = files;
        if (navigator.onLine === false) return queue(form, entry);
        return send(entry).then(function (result) {
          if (result.kind === "ok") {
            outboxDrop(entry.uuid);
            remove(draftKey(form));
            window.location.assign(result.body.redirect || window.location.href);
            return;
          }
          if (result.kind === "refused") {
            noticeBox(form).hidden = true;
            showErrors(form, result.body);
            return;
          }
          return queue(form, entry);
        });
      }).then(function () { form.removeAttribute("data-busy"); }, function () { form.removeAttribute("data-busy"); });
    });
  }

  // ------------------------------------------------------------------ field helpers

  function geolocation() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-geolocate], [data-geoclear]"), function (button) {
      var lat = document.querySelector(button.getAttribute("data-lat"));
      var lon = document.querySelector(button.getAttribute("data-lon"));
      var status = document.querySelector(button.getAttribute("data-status"));
      if (!lat || !lon || !status) return;
      var show = function () {
        status.textContent = lat.value && lon.value
          ? T.geoAt + ": " + Number(lat.value).toFixed(5) + ", " + Number(lon.value).toFixed(5)
          : T.geoNone;
      };
      var changed = function () {
        lat.dispatchEvent(new Event("change", { bubbles: true }));
        show();
      };
      show();
      var form = button.form || document;
      form.addEventListener("berdaya:reset", show);
      button.addEventListener("click", function () {
        if (button.hasAttribute("data-geoclear")) {
          lat.value = "";
          lon.value = "";
          changed();
          return;
        }
        if (!navigator.geolocation) { status.textContent = T.geoUnsupported; return; }
        status.textContent = T.geoWorking;
        navigator.geolocation.getCurrentPosition(function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lon.value = position.coords.longitude.toFixed(6);
          changed();
          if (position.coords.accuracy) status.textContent += " (" + T.accuracy + " ±" + Math.round(position.coords.accuracy) + " m)";
        }, function (error) {
          status.textContent = T.geoFailed + ": " + error.message;
        }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
      });
    });
  }

  function tally() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-tally]"), function (box) {
      var update = function () {
        Array.prototype.forEach.call(box.querySelectorAll("[data-tally-count]"), function (out) {
          var value = out.getAttribute("data-tally-count");
          out.textContent = box.querySelectorAll('input[type="radio"][value="' + value + '"]:checked').length;
        });
      };
      box.addEventListener("change", update);
      (box.form || box.closest("form") || document).addEventListener("berdaya:reset", update);
      update();
    });
  }

  function start() {
    var texts = document.getElementById("berdaya-offline-texts");
    if (texts) {
      try {
        var given = JSON.parse(texts.textContent);
        Object.keys(given).forEach(function (k) { T[k] = given[k]; });
      } catch (e) { /* keep the defaults */ }
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-offline]"), setUp);
    geolocation();
    tally();
    renderStatus();
    window.addEventListener("online", flush);
    flush();
  }

  window.BerdayaOffline = { flush: flush, outbox: outbox };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
