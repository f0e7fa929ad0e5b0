/* idtool phone page: the working copy made on the phone (an ES module imported by app.js).
 *
 * A phone photo is 3-6 MB; on a weak signal that is minutes. The model needs a few hundred
 * pixels, so the page first sends a working copy (upright, longest side 1600 px, JPEG 0.85,
 * a few hundred KB) and the original follows in the background, attached to the same record.
 */


export const WORKING_COPY_PX = 1600;
export const WORKING_COPY_QUALITY = 0.85;
export const SMALL_PHOTO_BYTES = 1024 * 1024; // a photo this small already fits: send it whole

export async function decodeUpright(blob) {
  // "from-image" applies the EXIF orientation, so the copy is upright like the photo on screen.
  return createImageBitmap(blob, { imageOrientation: "from-image" });
}

export async function encodeJpeg(bitmap, width, height, quality) {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, width, height);
    return canvas.convertToBlob({ type: "image/jpeg", quality });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

/* The working copy of `file`, or null when the file should go as it is: already small,
 * or not decodable by this browser (HEIC on most phones' browsers, or not a photo at all:
 * the server then says what is wrong with it). */
export async function makeWorkingCopy(file) {
  let bitmap;
  try {
    bitmap = await decodeUpright(file);
  } catch (e) {
    return null;
  }
  try {
    const longest = Math.max(bitmap.width, bitmap.height);
    const scale = Math.min(1, WORKING_COPY_PX / longest);
    if (scale === 1 && file.size <= SMALL_PHOTO_BYTES) return null;
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const blob = await encodeJpeg(bitmap, width, height, WORKING_COPY_QUALITY);
    if (!blob || blob.size >= file.size) return null;
    return { blob, width, height };
  } finally {
    bitmap.close();
  }
}

/* A small JPEG data: URL of the photo (for the list of refused photos), or null. */
export async function thumbnailUrl(blob, size = 160) {
  let bitmap;
  try {
    bitmap = await decodeUpright(blob);
  } catch (e) {
    return null;
  }
  try {
    const scale = Math.min(1, size / Math.max(bitmap.width, bitmap.height));
    const small = await encodeJpeg(bitmap, Math.max(1, Math.round(bitmap.width * scale)),
      Math.max(1, Math.round(bitmap.height * scale)), 0.7);
    return await new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => resolve(null);
      reader.readAsDataURL(small);
    });
  } finally {
    bitmap.close();
  }
}

export function megabytes(bytes) {
  if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + "\u00a0KB";
  return (bytes / (1024 * 1024)).toFixed(1) + "\u00a0MB";
}
