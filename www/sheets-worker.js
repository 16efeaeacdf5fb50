// The spreadsheet reader (src/bin/sheets.rs) in a Web Worker: created by the page the first time a
// spreadsheet is opened, so calamine is not part of the first load. One request at a time is
// answered in order; the page ignores answers to requests it has superseded (by `id`).
importScripts('./sheets.js');
const ready = wasm_bindgen({ module_or_path: './sheets_bg.wasm' });

self.onmessage = async (event) => {
  const { id, bytes } = event.data;
  try {
    await ready;
    self.postMessage({ id, text: wasm_bindgen.sheet_to_text(new Uint8Array(bytes)) });
  } catch (err) {
    self.postMessage({ id, error: String(err) });
  }
};
