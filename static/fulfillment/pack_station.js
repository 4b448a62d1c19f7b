// Pack station: keeps the scanner's input focused and sounds each result (WebAudio, no sound files):
// a low long buzz for a refusal, a short high beep for an accepted unit, a rising chime when packed.
(function () {
  "use strict";
  function tone(ctx, frequency, start, duration, type) {
    var oscillator = ctx.createOscillator();
    var gain = ctx.createGain();
    oscillator.type = type;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.25, ctx.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + start + duration);
    oscillator.connect(gain).connect(ctx.destination);
    oscillator.start(ctx.currentTime + start);
    oscillator.stop(ctx.currentTime + start + duration);
  }
  function sound(result) {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext || !result) return;
    var ctx = new AudioContext();
    if (["wrong_sku", "extra", "unknown", "refused"].indexOf(result) >= 0) {
      tone(ctx, 220, 0, 0.35, "square");
      tone(ctx, 180, 0.4, 0.45, "square");
    } else if (result === "packed") {
      tone(ctx, 660, 0, 0.12, "sine");
      tone(ctx, 880, 0.14, 0.12, "sine");
      tone(ctx, 1320, 0.28, 0.2, "sine");
    } else {
      tone(ctx, 1200, 0, 0.08, "sine");
    }
    window.lastPackSound = result;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var station = document.getElementById("station");
    var input = document.getElementById("barcode");
    if (input) {
      input.focus();
      document.addEventListener("click", function (event) {
        if (event.target.tagName !== "BUTTON") input.focus();
      });
    }
    if (station) sound(station.dataset.result);
  });
})();
