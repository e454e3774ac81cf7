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
