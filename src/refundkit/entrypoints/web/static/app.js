// refundkit pages: previews of chosen evidence files, and filling the sign-in form from the
// demo list. Everything works without this script; it only helps.
"use strict";

function showPreviews(input) {
  const box = document.getElementById(input.dataset.preview);
  if (!box) return;
  box.querySelectorAll("figure.chosen").forEach((f) => f.remove());
  for (const file of input.files) {
    const figure = document.createElement("figure");
    figure.className = "chosen";
    if (file.type.startsWith("image/")) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = "Preview of " + file.name;
      figure.appendChild(img);
    } else {
      const doc = document.createElement("span");
      doc.className = "doc";
      doc.textContent = file.type || "file";
      figure.appendChild(doc);
    }
    const caption = document.createElement("figcaption");
    caption.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB)";
    figure.appendChild(caption);
    box.appendChild(figure);
  }
}

document.addEventListener("change", (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement && input.type === "file" && input.dataset.preview) {
    showPreviews(input);
  }
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill-email]");
  if (!button) return;
  document.getElementById("email").value = button.dataset.fillEmail;
  document.getElementById("password").value = button.dataset.fillPassword;
  document.getElementById("password").focus();
});
