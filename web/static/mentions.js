// Suggests colleagues as an internal note is typed: "@bo" offers bob@example.com (as "Bob Stone (bob@example.com)"
// when he has a display name, which "@sto" finds too), and Enter writes "@bob ".
// Only a convenience: the note box works without it, and the server alone decides whom a mention mails
// (hub/mentions.py). The page hands over who can be mentioned and the name that reaches each of them
// (data-mention-people), with the folded words of each display name, and the letters to fold what is typed with
// (data-mention-folding, hub/name_words.py), so no rule or table is copied here. When that list was cut (a large
// organisation), the page says where to ask for the rest (data-mention-more, web/suggest.py), and what is typed is
// asked for there too.
(function () {
  "use strict";

  const box = document.querySelector("textarea[data-mention-people]");
  if (!box) return;
  let people;
  let folding;
  try {
    people = JSON.parse(box.dataset.mentionPeople);
    folding = JSON.parse(box.dataset.mentionFolding || "{}");
  } catch (error) {
    return; // without the list the box is as it was: leave it alone
  }
  const MOST = 8;
  const more = box.dataset.mentionMore; // where to ask for those the page could not list, if any
  const PAUSE = 150; // milliseconds without a key before asking the server
  const fetched = new Map(); // what the server said per typed name, so going back a letter asks nothing
  let timer = 0;
  // The name being written just before the caret. The @ must start a word, as hub/mentions.py reads it, so an
  // address written out ("mail bob@example.com") is not taken for a mention.
  // Letters of any script, so "@zoë" finds Zoë (and Enter writes her handle), and the apostrophes a name holds, so
  // "@o'brien" finds O'Brien.
  const TYPING = /(?:^|[^\p{L}\p{N}_.%+@-])@([\p{L}\p{N}][\p{L}\p{N}._%+'\u2019\u02bc-]*(?:@[\p{L}\p{N}.-]*)?)$/u;

  const list = document.createElement("ul");
  list.id = "mention-list";
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Colleagues to mention");
  list.hidden = true;
  box.after(list);
  // A textarea is a textbox, which ARIA gives no aria-expanded (only a one-line combobox has it): the list says
  // it is open by being shown, and the option being picked is named by aria-activedescendant.
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);

  let shown = []; // the people offered now
  let active = 0; // which of them Enter takes
  let start = 0; // where the @ being completed is

  function update() {
    const caret = box.selectionStart;
    const typed = box.selectionEnd === caret ? TYPING.exec(box.value.slice(0, caret)) : null;
    if (!typed) return close();
    const wanted = typed[1].toLowerCase();
    start = caret - typed[1].length - 1;
    offer(wanted);
    if (more && !fetched.has(wanted)) {
      clearTimeout(timer);
      timer = setTimeout(() => ask(wanted), PAUSE);
    }
  }

  function offer(wanted) {
    // The part before the @ and the whole address both start the address, so one prefix test covers both; a word
    // of the display name may start with it too ("@lee" finds Ann Lee), among those the page lists. What the
    // server answered for this name matched there already (hub/name_words.py), and is not tested again.
    const typedWords = fold(wanted);
    const known = people.filter((person) => person.address.startsWith(wanted) || named(person, typedWords))
      .concat(fetched.get(wanted) || []);
    const seen = new Set();
    const said = typedWords.join(" ");
    shown = known
      .filter((person) => !seen.has(person.address) && seen.add(person.address))
      .map((person) => ({ person, key: sortKey(person, wanted, said) }))
      .sort((a, b) => compare(a.key, b.key))
      .map(({ person }) => person)
      .slice(0, MOST);
    if (!shown.length) return close();
    active = 0;
    list.replaceChildren(...shown.map(option));
    list.hidden = false;
    highlight();
  }

  // What is typed, folded as the server folds it (hub/name_words.py `typed_words`): accents off, in any case, the
  // letters NFKD leaves whole and the apostrophes and hyphens that join a name from the server's table, so "@zoe"
  // finds Zoë, "@ors" Ørsted and "@o'brien" O'Brien among the page's people, whose words (whole and in parts) the
  // page gives already folded, as the server finds them among the rest.
  function fold(typed) {
    const plain = typed.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
    const folded = Array.from(plain, (letter) => folding[letter] ?? letter).join("");
    return folded.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }
  // Where a person goes in the list, as the server orders its own (hub/name_words.py `sort_key`): the best matches
  // first (what was typed is their handle, address or whole name; then their address or name starts with it; then
  // a later word of their name does), then by name as people read names (folded: Emil, Émile, Erik), by address
  // for those without one, and by address between namesakes.
  function sortKey(person, wanted, said) {
    const name = fold(person.name || "").join(" ");
    const handle = person.address.split("@")[0];
    const best = wanted === person.address || wanted === handle || (name && said === name) ? 0
      : person.address.startsWith(wanted) || (name && name.startsWith(said)) ? 1 : 2;
    return [best, name || person.address, person.address];
  }
  function compare(a, b) {
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
  }
  // Each word typed must start a word of the name, as on the server.
  function named(person, typedWords) {
    return Boolean(person.words) && typedWords.length > 0 &&
      typedWords.every((typed) => person.words.some((word) => word.startsWith(typed)));
  }

  async function ask(wanted) {
    let found;
    try {
      const answer = await fetch(more + "?q=" + encodeURIComponent(wanted), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!answer.ok) return; // logged out, or the server busy: the page's own list still serves
      found = await answer.json();
    } catch (error) {
      return;
    }
    if (!Array.isArray(found)) return;
    fetched.set(wanted, found);
    // Offer them only if the same name is still being written where it was.
    const caret = box.selectionStart;
    const typed = box.selectionEnd === caret ? TYPING.exec(box.value.slice(0, caret)) : null;
    if (typed && typed[1].toLowerCase() === wanted && document.activeElement === box) offer(wanted);
  }

  function option(person, index) {
    const item = document.createElement("li");
    item.id = "mention-option-" + index;
    item.setAttribute("role", "option");
    // A colleague with a display name is picked by it, "Ann Lee (ann@example.com)": names are not unique, so the
    // address beside tells two Anns apart, and what goes into the note is still the handle the server reads.
    if (person.name) {
      const name = document.createElement("span");
      name.className = "mention-name";
      name.textContent = person.name; // text, never markup: people choose their own names
      const address = document.createElement("span");
      address.className = "mention-address";
      address.textContent = "(" + person.address + ")";
      item.append(name, " ", address);
      return item;
    }
    const handle = document.createElement("span");
    handle.className = "mention-handle";
    handle.textContent = "@" + person.handle; // text, never markup: addresses are other people's words
    item.append(handle);
    if (person.handle !== person.address) {
      const address = document.createElement("span");
      address.className = "mention-address";
      address.textContent = person.address;
      item.append(" ", address);
    }
    return item;
  }

  function highlight() {
    for (const [index, item] of Array.from(list.children).entries()) {
      item.setAttribute("aria-selected", String(index === active));
    }
    box.setAttribute("aria-activedescendant", "mention-option-" + active);
  }

  function close() {
    shown = [];
    list.hidden = true;
    list.replaceChildren();
    box.removeAttribute("aria-activedescendant");
  }

  function insert(person) {
    // Replace the whole name under the caret, even the part after it, so "@bo|b" does not become "@bob b".
    const rest = box.value.slice(box.selectionStart).match(/^[\p{L}\p{N}._%+'\u2019\u02bc@-]* ?/u)[0];
    box.setRangeText("@" + person.handle + " ", start, box.selectionStart + rest.length, "end");
    close();
  }

  box.addEventListener("input", update);
  box.addEventListener("click", update);
  box.addEventListener("blur", close);
  box.addEventListener("keydown", (event) => {
    if (!shown.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      highlight();
    } else if (event.key === "Enter" || event.key === "Tab") {
      insert(shown[active]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault(); // the key was the list's: no new line, no leaving the box, no moving the caret
  });
  // Pressing on an item would take the focus from the box (and close the list) before the click lands.
  list.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const item = event.target.closest("li[role=option]");
    if (item) insert(shown[Array.from(list.children).indexOf(item)]);
  });
})();
