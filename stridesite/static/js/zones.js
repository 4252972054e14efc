/* Zone form: picking a band or a metric fills in that zone's limits as they stand. */
"use strict";

(() => {
  const table = JSON.parse(document.getElementById("zone-table").textContent);
  const form = document.getElementById("zone-form");
  const fill = () => {
    const [low, high] = table[form.band.value][form.metric.value];
    form.low.value = low;
    form.high.value = high;
  };
  form.band.addEventListener("change", fill);
  form.metric.addEventListener("change", fill);
})();
