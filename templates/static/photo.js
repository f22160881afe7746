// The product form on a phone: a 4-12 MB camera photo is shrunk on the phone to what choso keeps anyway
// (1600 px on the long side, JPEG), then sent with a progress bar, so a slow link takes seconds, not minutes.
// Without this script the form still works: the server takes photos up to its limit and says what to do above it.
(function () {
  var form = document.getElementById("product-form");
  if (!form || !window.FormData || !window.XMLHttpRequest || !HTMLCanvasElement.prototype.toBlob) return;
  var MAX_SIDE = 1600, QUALITY = 0.85, KEEP_BELOW = 600 * 1024;
  var input = form.querySelector("input[type=file][name=photo]");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!file || !/^image\//.test(file.type) || file.size < KEEP_BELOW || !window.createImageBitmap) {
        return resolve(file);
      }
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          resolve(blob && blob.size < file.size ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg",
                                                            {type: "image/jpeg"}) : file);
        }, "image/jpeg", QUALITY);
      }, function () { resolve(file); });  // not a picture the phone can read: let the server say so
    });
  }

  form.addEventListener("submit", function (event) {
    var file = input && input.files && input.files[0];
    if (!file) return;  // nothing to shrink or to watch: the browser sends the form as usual
    event.preventDefault();
    var button = form.querySelector("button.primary");
    button.disabled = true;
    status.textContent = status.getAttribute("data-preparing");
    shrink(file).then(function (photo) {
      var data = new FormData(form);
      data.set("photo", photo, photo.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        bar.hidden = false;
        bar.max = e.total;
        bar.value = e.loaded;
        status.textContent = status.getAttribute("data-sending") + " " + Math.round(100 * e.loaded / e.total) + " %";
      });
      xhr.addEventListener("load", function () {
        // Show the page the server answered with, as a plain form post would: the shop page with "saved" after a
        // redirect (fetching it again would lose that message), or the form again with what to fix.
        if (xhr.responseURL && xhr.responseURL !== location.href) history.replaceState(null, "", xhr.responseURL);
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        status.textContent = status.getAttribute("data-failed");
      });
      xhr.send(data);
    });
  });
})();
