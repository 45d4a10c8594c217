/* Check-in: scan a confirmation's QR code with the phone's camera.

   Progressive enhancement: the button shows only where the browser can open a camera
   (navigator.mediaDevices.getUserMedia, which needs HTTPS or localhost); the search form
   stays the way without it. The browser's own BarcodeDetector reads the code where it
   exists; elsewhere the bundled decoder (vendor/jsQR.js, from this site) is loaded the
   first time the button is pressed. A code read opens the code's check-in page: the QR
   code carries that page's link (.../checkin/c/<code>), and a bare code works too. The
   camera stops when the panel closes (the Close button or Escape) and when the page is
   hidden or left. */
(function () {
  "use strict";
  var box = document.querySelector("[data-checkin-scan]");
  var media = navigator.mediaDevices;
  if (!box || !media || typeof media.getUserMedia !== "function") {
    return;
  }
  var CODE = /^[A-Za-z0-9_-]{8,32}$/;
  var INTERVAL = 200; // ms between two looks at the picture
  var openButton = box.querySelector(".checkin-scan__open");
  var closeButton = box.querySelector(".checkin-scan__close");
  var panel = box.querySelector(".checkin-scan__panel");
  var video = box.querySelector(".checkin-scan__video");
  var status = box.querySelector(".checkin-scan__status");
  var stream = null;
  var timer = null;
  var running = false;
  var detect = null; // function (video) -> Promise of the text read, or null
  var canvas = null;

  function say(key) {
    status.textContent = box.getAttribute("data-" + key) || "";
  }

  /* The code in what was read: the link's last segment after /checkin/c/, or the text
     itself; null if it is not a check-in code. Only the code is kept: the page opened is
     always this site's own. */
  function codeOf(text) {
    var value = String(text || "").trim();
    var marker = "/checkin/c/";
    var at = value.lastIndexOf(marker);
    if (at !== -1) {
      value = value.slice(at + marker.length).split(/[?#/]/)[0];
      try {
        value = decodeURIComponent(value);
      } catch (error) {
        return null;
      }
    }
    return CODE.test(value) ? value : null;
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) {
      return Promise.resolve(null);
    }
    var formats = window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats()
      : Promise.resolve(["qr_code"]);
    return Promise.resolve(formats)
      .then(function (supported) {
        if (supported.indexOf("qr_code") === -1) {
          return null;
        }
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (source) {
          return detector.detect(source).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      })
      .catch(function () {
        return null;
      });
  }

  function loadDecoder() {
    if (window.jsQR) {
      return Promise.resolve(window.jsQR);
    }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = box.getAttribute("data-decoder");
      script.onload = function () {
        return window.jsQR ? resolve(window.jsQR) : reject(new Error("no decoder"));
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function bundledDetector() {
    return loadDecoder().then(function (jsQR) {
      canvas = canvas || document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (source) {
        var width = source.videoWidth;
        var height = source.videoHeight;
        if (!width || !height) {
          return Promise.resolve(null);
        }
        var scale = Math.min(1, 640 / Math.max(width, height)); // enough for a QR code
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(source, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = jsQR(image.data, image.width, image.height, {
          inversionAttempts: "dontInvert",
        });
        return Promise.resolve(found ? found.data : null);
      };
    });
  }

  function detector() {
    if (detect) {
      return Promise.resolve(detect);
    }
    return nativeDetector()
      .then(function (native) {
        return native || bundledDetector();
      })
      .then(function (found) {
        detect = found;
        return found;
      });
  }

  function look() {
    timer = null;
    if (!running) {
      return;
    }
    detect(video)
      .catch(function () {
        return null; // no picture yet, or an unreadable one: look again
      })
      .then(function (text) {
        if (!running) {
          return;
        }
        if (text) {
          var code = codeOf(text);
          if (code) {
            say("found");
            stop();
            window.location.assign(
              box.getAttribute("data-code-url").replace("CODE", encodeURIComponent(code))
            );
            return;
          }
          say("not-code");
        }
        timer = window.setTimeout(look, INTERVAL);
      });
  }

  function stop() {
    running = false;
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
  }

  function open() {
    if (running) {
      return;
    }
    running = true;
    panel.hidden = false;
    openButton.setAttribute("aria-expanded", "true");
    say("opening");
    closeButton.focus();
    Promise.all([
      media.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false }),
      detector(),
    ])
      .then(function (results) {
        if (!running) {
          results[0].getTracks().forEach(function (track) {
            track.stop();
          });
          return;
        }
        stream = results[0];
        video.srcObject = stream;
        var playing = video.play();
        if (playing && playing.catch) {
          playing.catch(function () {});
        }
        say("scanning");
        look();
      })
      .catch(function () {
        stop();
        say("no-camera");
      });
  }

  function close() {
    stop();
    panel.hidden = true;
    status.textContent = "";
    openButton.setAttribute("aria-expanded", "false");
    openButton.focus();
  }

  openButton.addEventListener("click", function () {
    if (panel.hidden) {
      open();
    } else {
      close();
    }
  });
  closeButton.addEventListener("click", close);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      close();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && !panel.hidden) {
      close();
    }
  });
  window.addEventListener("pagehide", stop);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && !panel.hidden) {
      close(); // back to a page kept in memory: its camera was stopped when it was left
    }
  });
  box.hidden = false;
})();
