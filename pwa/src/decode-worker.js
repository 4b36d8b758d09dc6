// QR decoding off the main thread for browsers without BarcodeDetector (iPhone Safari, desktop).
// A classic worker: jsQR ships as a UMD script, which importScripts loads as it is (no eval, so the
// strict CSP holds).
/* global importScripts, jsQR */
importScripts('/app/node_modules/jsqr/dist/jsQR.js');

self.addEventListener('message', (event) => {
  const { id, width, height, data } = event.data;
  let text = null;
  try {
    const found = jsQR(new Uint8ClampedArray(data), width, height, { inversionAttempts: 'dontInvert' });
    text = found ? found.data : null;
  } catch {
    text = null;
  }
  self.postMessage({ id, text });
});
