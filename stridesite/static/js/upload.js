/* Upload page: large files show the upload's progress (the analysis itself takes seconds). */
"use strict";
document.getElementById("upload-form").addEventListener("submit", (event) => {
  const form = event.target, bar = document.getElementById("upload-progress");
  event.preventDefault();
  const request = new XMLHttpRequest();
  request.open("POST", location.href);
  request.upload.onprogress = (e) => { bar.hidden = false; bar.value = e.lengthComputable ? 100 * e.loaded / e.total : 50; };
  request.onload = () => { document.open(); document.write(request.responseText); document.close();
                           if (request.responseURL !== location.href) history.replaceState(null, "", request.responseURL); };
  request.send(new FormData(form));
});
