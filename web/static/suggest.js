// Fills a field's suggestions as one types, from the server: the page lists the first few hundred names itself
// (enough for most desks, and the field works without script), and a <datalist data-suggest="/suggest/cis"> that
// was cut there asks web/suggest.py for the names matching what is typed, a moment after the typing pauses.
(function () {
  "use strict";

  const PAUSE = 150; // milliseconds without a key before asking: one request per word, not per letter

  for (const list of document.querySelectorAll("datalist[data-suggest]")) {
    for (const field of document.querySelectorAll(`input[list="${list.id}"]`)) {
      follow(field, list, list.dataset.suggest);
    }
  }

  function follow(field, list, url) {
    const first = Array.from(list.options, (option) => ({ value: option.value, label: option.getAttribute("label") })); // the page's
    let timer = 0;
    let asked = null; // the request under way, cancelled by the next one

    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(ask, PAUSE);
    });

    async function ask() {
      const typed = field.value.trim();
      if (asked) asked.abort();
      if (!typed) return fill(first);
      asked = new AbortController();
      let names;
      try {
        const asking = new URL(url, window.location.href); // it may carry a question of its own (?groups=no)
        asking.searchParams.set("q", typed);
        const answer = await fetch(asking, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: asked.signal,
        });
        if (!answer.ok) return; // logged out, or the server is busy: the page's own list stays
        names = await answer.json();
      } catch (error) {
        return; // cancelled by newer typing, or offline: the same
      }
      if (field.value.trim() === typed && Array.isArray(names)) fill(names);
    }

    function fill(names) {
      // Options made as elements with a value, never markup: names are other people's words. A suggestion is a
      // value, or {value, label} (a person's display name, shown beside the address the field submits).
      list.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"),
        typeof name === "string" ? { value: name } : { value: name.value, ...(name.label ? { label: name.label } : {}) })));
    }
  }
})();
