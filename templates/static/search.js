window.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("search");
  if (box && window.PagefindUI) {
    new PagefindUI({ element: "#search", bundlePath: box.dataset.bundle, showSubResults: true, showImages: false });
  }
});
