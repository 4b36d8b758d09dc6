// Photos are shrunk on the phone before they are stored (a 12-megapixel shot is 4 MB; 1280 px JPEG
// is ~150 kB, enough to see a gnaw mark), then named by their sha256 as the contract wants.
import { savePhoto } from './outbox.js';

export const MAX_EDGE = 1280;
export const QUALITY = 0.8;

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function decode(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      // fall through to <img>, which some Safari versions need for HEIC/odd JPEGs
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Resize a picked/captured image file to ≤ MAX_EDGE px JPEG; store it; return its hash. */
export async function takePhoto(file) {
  const image = await decode(file);
  const w = image.width;
  const hgt = image.height;
  const scale = Math.min(1, MAX_EDGE / Math.max(w, hgt));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(w * scale));
  canvas.height = Math.max(1, Math.round(hgt * scale));
  canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
  image.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  const hash = await sha256Hex(blob);
  await savePhoto(hash, blob);
  return hash;
}
