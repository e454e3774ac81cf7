// The search page: Pagefind's UI, started with the words of ?q= when the
// header's search form (a plain GET to this page) sent some.
// A large site's index is split into bundles (so that an edit re-indexes one);
// sitegen-shards.json in the primary bundle names the others, merged here.
async function shardBundles(bundle) {
  try {
    const response = await fetch(`${bundle}sitegen-shards.json`);
    const listed = response.ok ? (await response.json()).bundles : [];
    return Array.isArray(listed) ? listed.map((name) => ({ bundlePath: `${bundle}${name}` })) : [];
  } catch (error) {
    return [];  // no list (an older index): search the primary bundle alone
  }
}

window.addEventListener("DOMContentLoaded", async () => {
  const box = document.getElementById("search");
  if (!box || !window.PagefindUI) return;
  const query = (new URLSearchParams(location.search).get("q") || "").trim();
  // An absolute bundle path lets Pagefind work out the site's own prefix
  // (/repo/ on a project site), so result links point inside the site.
  const bundle = new URL(box.dataset.bundle, location.href).pathname;
  const ui = new PagefindUI({
    element: "#search",
    bundlePath: bundle,
    mergeIndex: await shardBundles(bundle),
    showSubResults: true,
    showImages: false,
    autofocus: !query,
    // Say what kind of page each result is: a sheet, a source, a topic, a person...
    processResult: (result) => {
      const kind = result.meta && result.meta.kind;
      if (kind && result.meta.title) result.meta.title = `${kind}: ${result.meta.title}`;
      return result;
    },
  });
  const input = box.querySelector("input");
  if (input) {
    input.setAttribute("aria-label", "Search the fact sheets, sources, topics and people");
  }
  if (query) {
    ui.triggerSearch(query);
  }
});
