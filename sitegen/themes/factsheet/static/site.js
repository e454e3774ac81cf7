// Opened from disk (file://), folder links need an explicit index.html.
// In-page links ("#note-3") are left alone: they already work.
if (location.protocol === "file:") {
  for (const a of document.querySelectorAll("a[href]")) {
    const href = a.getAttribute("href");
    if (!href.startsWith("#") && !/^[a-z]+:/i.test(href) && /(^|\/)(#.*)?$/.test(href.split("?")[0])) {
      a.setAttribute("href", href.replace(/(^|\/)(#.*)?$/, "$1index.html$2"));
    }
  }
}

// A source page opened from a sheet's citation: a way back to the fact, where the reader was.
// (Without JavaScript the browser's own Back button does the same.)
const cited = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
if (cited && cited.classList.contains("anchor") && document.referrer) {
  const from = new URL(document.referrer);
  if (from.origin === location.origin && /\/sheets\/[^/]+\/(index\.html)?$/.test(from.pathname)) {
    const back = document.createElement("a");
    back.className = "back-to-fact";
    back.href = document.referrer;
    back.textContent = "Back to the fact";
    back.addEventListener("click", (event) => {
      if (history.length > 1) {
        event.preventDefault();
        history.back();
      }
    });
    const paragraph = cited.closest("p") || cited;
    const holder = document.createElement("p");
    holder.append(back);
    paragraph.after(holder);
  }
}
