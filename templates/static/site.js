// Opened from disk (file://), folder links need an explicit index.html.
if (location.protocol === "file:") {
  for (const a of document.querySelectorAll("a[href]")) {
    const href = a.getAttribute("href");
    if (!/^[a-z]+:/i.test(href) && /(^|\/)(#.*)?$/.test(href.split("?")[0])) {
      a.setAttribute("href", href.replace(/(^|\/)(#.*)?$/, "$1index.html$2"));
    }
  }
}
