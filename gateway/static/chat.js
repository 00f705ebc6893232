// The /chat page (gateway/webchat.py): the conversation so far, then each message posted to the inbox and the
// bot's messages polled from the outbox. Served as a file: the page's CSP allows no inline script.
// Every text is put in the page with textContent / text nodes only: nothing a message says is run as HTML.
"use strict";

(() => {
  const page = document.body.dataset;
  const stored = localStorage.getItem("lapor-chat");
  const session = /^[a-f0-9]{32}$/.test(stored || "") ? stored : page.session;
  localStorage.setItem("lapor-chat", session);
  const log = document.getElementById("log");
  const input = document.getElementById("text");
  const photo = document.getElementById("photo");
  const controls = [input, photo, document.getElementById("send")];
  let after = null; // the newest bot message shown; null until the conversation so far is on the page
  // Nothing is sent before the conversation so far is shown (it would be shown twice).
  for (const control of controls) control.disabled = true;

  function show(text, who, withPhoto) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    if (withPhoto) {
      const tag = document.createElement("span");
      tag.className = "photo-tag";
      tag.textContent = page.photoLabel;
      div.appendChild(tag);
    }
    // Our own links (the tracking page) become anchors; everything else stays a text node.
    const parts = who === "bot" ? (text || "").split(/(https?:\/\/\S+)/) : [text || ""];
    for (const part of parts) {
      if (/^https?:\/\//.test(part)) {
        const a = document.createElement("a");
        a.href = part; a.textContent = part; a.rel = "noopener";
        div.appendChild(a);
      } else if (part) {
        div.appendChild(document.createTextNode(part));
      }
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  async function refused(response) {
    // A 4xx names what is wrong (a photo's type or size: the bot's own words, in the page's language).
    try {
      const data = await response.json();
      return (data.error && data.error.message) || page.offline;
    } catch (error) {
      return page.offline;
    }
  }

  // Posts a message already shown as `bubble`; when it is refused or lost, the bubble says it was not sent.
  async function post(body, headers, bubble) {
    let problem = null;
    try {
      const response = await fetch("/chat/messages", {method: "POST", headers, body});
      if (!response.ok) problem = await refused(response);
    } catch (error) {
      problem = page.offline;
    }
    if (problem === null) return true;
    bubble.classList.add("failed");
    show(problem, "error");
    return false;
  }

  document.getElementById("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    const bubble = show(text, "me");
    if (!await post(JSON.stringify({session, text}), {"Content-Type": "application/json"}, bubble) && !input.value) {
      input.value = text; // to try again
    }
  });

  photo.addEventListener("change", async () => {
    const file = photo.files[0];
    if (!file) return;
    const caption = input.value.trim(); // what is typed goes with the photo
    input.value = "";
    photo.value = "";
    const bubble = show(caption, "me", true);
    const form = new FormData();
    form.append("session", session);
    form.append("text", caption);
    form.append("photo", file);
    if (!await post(form, {}, bubble) && !input.value) input.value = caption; // with another photo, perhaps
  });

  async function history() {
    const response = await fetch(`/chat/history?session=${session}`);
    if (!response.ok) throw new Error(`history: ${response.status}`);
    const data = await response.json();
    for (const message of data.messages) {
      if (message.from === "bot") show(message.text, "bot");
      else show(message.text, "me", message.photo);
    }
    after = data.after;
    for (const control of controls) control.disabled = false;
    input.focus();
  }

  async function poll() {
    try {
      if (after === null) {
        await history();
      } else {
        const response = await fetch(`/chat/messages?session=${session}&after=${after}`);
        const data = await response.json();
        for (const message of data.messages) { after = message.id; show(message.text, "bot"); }
      }
    } catch (error) { /* offline for a moment: try again */ }
    setTimeout(poll, 700);
  }
  poll();
})();
