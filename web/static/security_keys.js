// Security keys and passkeys (WebAuthn) for web/security_keys.py: registering one on the account page, and the
// login's second step. The server hands out the options (with a challenge it keeps, once) and checks the answer;
// this only carries them between it and navigator.credentials, as JSON, with the page's CSRF token in a header.
// A first key's answer carries its recovery codes: they are shown once, in place of the card, and the rest of the
// page is drawn anew around them (the two-factor card no longer "Off"), before going on.
(function () {
  "use strict";

  const fromB64 = (text) => {
    const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(plain, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64 = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const withIds = (list) => (list || []).map((item) => ({ ...item, id: fromB64(item.id) }));

  async function post(box, url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `The server answered ${response.status}; try again.`);
    return answer;
  }

  function answerOf(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toB64(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64(r.authenticatorData);
      response.signature = toB64(r.signature);
      if (r.userHandle) response.userHandle = toB64(r.userHandle);
    }
    return { id: credential.id, rawId: toB64(credential.rawId), type: credential.type, response: response,
             clientExtensionResults: credential.getClientExtensionResults() };
  }

  function said(error) {
    // The browser's own words for a cancelled or timed-out prompt ("The operation either timed out or was not
    // allowed") say little: say what to do.
    if (error && error.name === "NotAllowedError") return "The key was not used (cancelled or timed out); try again.";
    if (error && error.name === "InvalidStateError") return "This key is registered already.";
    return (error && error.message) || "Something went wrong; try again.";
  }

  function go(redirect) {
    const target = new URL(redirect, window.location.href);
    // Only the fragment differs on the account page: assigning it would scroll, not load the page anew.
    if (target.pathname === window.location.pathname && target.search === window.location.search) {
      window.location.hash = target.hash;
      window.location.reload();
    } else {
      window.location.assign(target.href);
    }
  }

  function showCodes(box, codes, redirect) {
    // From the page's own template (its words are the server's); the codes go in as text, never as markup.
    const shown = box.querySelector("template[data-recovery-codes]").content.cloneNode(true);
    const list = shown.querySelector("ol.recovery-codes");
    codes.forEach((code) => {
      const item = document.createElement("li");
      item.appendChild(document.createElement("code")).textContent = code;
      list.appendChild(item);
    });
    shown.querySelector("[data-recovery-codes-done]").addEventListener("click", () => go(redirect));
    const card = box.closest(".card") || box;
    card.replaceChildren(shown);
    card.querySelector("h2").focus();
    renewAround(card, redirect);
  }

  async function renewAround(card, redirect) {
    // The rest of the page was drawn before the key (two-factor "Off", no recovery codes card): draw it anew from
    // the server's page, keeping this card and its codes as they are until "Done". Should that fail, "Done" still
    // loads the whole page.
    const target = new URL(redirect, window.location.href);
    const main = card.closest("main");
    if (!main || !card.id || target.pathname !== window.location.pathname) return;
    try {
      const response = await fetch(target.pathname + target.search, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("main");
      const place = fresh && fresh.querySelector(`#${CSS.escape(card.id)}`);
      if (!place || place.parentElement !== fresh) return;
      // A copy of the list first: adopting a node takes it out of `fresh`.
      const nodes = Array.from(fresh.childNodes).map((node) => (node === place ? card : document.adoptNode(node)));
      main.replaceChildren(...nodes);
      card.querySelector("h2").focus();
    } catch (problem) {
      // The codes are on screen, and "Done" loads the page: nothing is lost.
    }
  }

  function wire(box, run) {
    const button = box.querySelector("[data-security-key-button]");
    const error = box.querySelector("[data-security-key-error]");
    if (!window.PublicKeyCredential) {
      error.textContent = "This browser cannot use security keys.";
      error.hidden = false;
      return;
    }
    button.disabled = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      error.hidden = true;
      try {
        const answer = await run(box);
        if (answer.recovery_codes) showCodes(box, answer.recovery_codes, answer.redirect);
        else go(answer.redirect);
      } catch (problem) {
        error.textContent = said(problem);
        error.hidden = false;
        button.disabled = false;
      }
    });
  }

  async function register(box) {
    const name = box.querySelector("input[name=name]").value.trim();
    if (!name) throw new Error("Give the key a name first, such as \"YubiKey 5\".");
    // Adding a key changes how one logs in: the server wants the password first, as removing one does.
    const password = box.querySelector("[data-security-key-password]").value;
    if (!password) throw new Error("Type your password first.");
    const options = await post(box, box.dataset.optionsUrl, { password: password });
    const publicKey = { ...options, challenge: fromB64(options.challenge),
                        user: { ...options.user, id: fromB64(options.user.id) },
                        excludeCredentials: withIds(options.excludeCredentials) };
    const credential = await navigator.credentials.create({ publicKey: publicKey });
    return post(box, box.dataset.registerUrl, { name: name, credential: answerOf(credential) });
  }

  async function logIn(box) {
    const options = await post(box, box.dataset.optionsUrl);
    const publicKey = { ...options, challenge: fromB64(options.challenge),
                        allowCredentials: withIds(options.allowCredentials) };
    const credential = await navigator.credentials.get({ publicKey: publicKey });
    return post(box, box.dataset.loginUrl, answerOf(credential));
  }

  document.querySelectorAll("[data-security-key-register]").forEach((box) => wire(box, register));
  document.querySelectorAll("[data-security-key-login]").forEach((box) => wire(box, logIn));
})();
