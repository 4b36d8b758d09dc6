// The camera scanner. Decoders: the browser's BarcodeDetector where it reads QR codes (Android
// Chrome), else jsQR from npm in a worker (iPhone Safari, desktop). Every decoded text goes through
// one boundary, `deliver`, which tests can also reach (see `injectScan`).
import { codeFromScan } from './labelcode.js';

const WORKER_URL = '/app/src/decode-worker.js';
const SCAN_INTERVAL_MS = 150;
const SAME_CODE_PAUSE_MS = 2500;

let active = null; // the one running scanner

/**
 * Start scanning into `video`. onCode({code, kind, raw, entry: 'scanned'}) for each valid label;
 * onInvalid(raw, error) for texts that are not our codes. Returns a controller.
 */
export async function startScanner(video, { onCode, onInvalid = () => {}, continuous = false } = {}) {
  await stopScanner();
  const ctl = {
    stream: null, track: null, decoder: 'none', stopped: false, lastCode: null, lastAt: 0,
    deliver(raw) {
      const parsed = codeFromScan(String(raw));
      if (!parsed.ok) {
        onInvalid(raw, parsed.error);
        return;
      }
      const now = Date.now();
      if (parsed.code === ctl.lastCode && now - ctl.lastAt < SAME_CODE_PAUSE_MS) return; // same label held still
      ctl.lastCode = parsed.code;
      ctl.lastAt = now;
      if (!continuous) ctl.paused = true;
      onCode({ ...parsed, raw: String(raw), entry: 'scanned' });
    },
  };
  active = ctl;
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('getUserMedia unavailable');
  ctl.stream = await navigator.mediaDevices.getUserMedia({
    audio: false, video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  if (ctl.stopped) {
    ctl.stream.getTracks().forEach((tr) => tr.stop());
    return ctl;
  }
  [ctl.track] = ctl.stream.getVideoTracks();
  video.srcObject = ctl.stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play();
  const detect = await pickDecoder(ctl);
  const loop = async () => {
    if (ctl.stopped) return;
    if (!ctl.paused && video.readyState >= 2) {
      try {
        const text = await detect(video);
        if (text && !ctl.stopped) ctl.deliver(text);
      } catch {
        // a frame that failed to decode: the next one will do
      }
    }
    ctl.timer = setTimeout(loop, SCAN_INTERVAL_MS);
  };
  loop();
  return ctl;
}

async function pickDecoder(ctl) {
  if ('BarcodeDetector' in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) {
        const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
        ctl.decoder = 'BarcodeDetector';
        return async (video) => (await detector.detect(video))[0]?.rawValue;
      }
    } catch {
      // fall back to jsQR
    }
  }
  ctl.decoder = 'jsQR';
  const worker = new Worker(WORKER_URL);
  ctl.worker = worker;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let seq = 0;
  return (video) => new Promise((resolve) => {
    // Decode at most 640 px wide: plenty for a label filling the frame, and cheap on old phones.
    const scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const id = ++seq;
    const onMessage = (event) => {
      if (event.data.id !== id) return;
      worker.removeEventListener('message', onMessage);
      resolve(event.data.text);
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage({ id, width: frame.width, height: frame.height, data: frame.data.buffer }, [frame.data.buffer]);
  });
}

export function resumeScanner() {
  if (active) active.paused = false;
}

export async function stopScanner() {
  const ctl = active;
  active = null;
  if (!ctl) return;
  ctl.stopped = true;
  clearTimeout(ctl.timer);
  ctl.worker?.terminate();
  ctl.stream?.getTracks().forEach((tr) => tr.stop());
}

/** Whether the camera offers a torch, and switching it. */
export function torchSupported() {
  const caps = active?.track?.getCapabilities?.();
  return Boolean(caps && caps.torch);
}

export async function setTorch(on) {
  if (!active?.track) return false;
  await active.track.applyConstraints({ advanced: [{ torch: Boolean(on) }] });
  return true;
}

export function currentDecoder() {
  return active?.decoder || 'none';
}

/** The scanner boundary for tests and for hardware scanners that type into the page. */
export function injectScan(text) {
  if (active && !active.stopped) {
    active.paused = false;
    active.lastCode = null;
    active.deliver(text);
    return true;
  }
  return false;
}

/** A short beep and a vibration for each counted scan (stocktake). */
let audioCtx = null;
export function beep(ok = true) {
  try {
    navigator.vibrate?.(ok ? 60 : [80, 60, 80]);
    audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audioCtx.createOscillator();
    const gain = audioCtx.createGain();
    osc.frequency.value = ok ? 1200 : 300;
    gain.gain.value = 0.1;
    osc.connect(gain).connect(audioCtx.destination);
    osc.start();
    osc.stop(audioCtx.currentTime + (ok ? 0.08 : 0.25));
  } catch {
    // no audio output: the vibration and the on-screen line still tell
  }
}
