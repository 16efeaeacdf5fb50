// Loads the wasm module. External (not inline) so that the page's CSP needs no 'unsafe-inline'.
// Trunk fills in data-js / data-wasm with the hashed, relative file names (Trunk.toml pattern_script).
const boot = document.getElementById('fourfold-boot');

// plotters (src/style/font/web.rs) measures text with a temporary <span> whose geometry it sets with
// setAttribute('style', ...), which `style-src 'self'` blocks (and the text layout breaks). CSP
// allows the same styles through the CSSOM, so route script-set `style` attributes on spans there.
// Markup-injected style attributes stay blocked; only our own ('self') scripts reach this path.
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (name, value) {
  if (this instanceof HTMLSpanElement && String(name).toLowerCase() === 'style') {
    this.style.cssText = String(value);
    return;
  }
  return setAttribute.call(this, name, value);
};


// The panic alert's buttons (src/web/crash.rs). Plain JavaScript: after a panic the wasm module
// must not be called again. Reloading drops the `#…` permalink (it would take precedence over the
// autosaved text) and the e2e test's `fourfold-test-panic` parameter, so the saved text comes back.
function reloadWithoutLink() {
  const u = new URL(location.href);
  u.searchParams.delete('fourfold-test-panic');
  u.hash = '';
  if (u.href === location.href) location.reload(); else location.assign(u.href);
}
document.getElementById('crash-reload')?.addEventListener('click', reloadWithoutLink);
document.getElementById('crash-reset')?.addEventListener('click', () => {
  try { localStorage.removeItem('fourfold.autosave.v1'); } catch { /* storage refused: nothing saved */ }
  reloadWithoutLink();
});

// The first paint (src/bin/paint.rs, src/web/paint.rs): a small module that shows the initial
// analysis's main results before the full module below has arrived (issue #12). Its file names
// are not hashed, so they carry the full module's (this build's) name: never a stale copy from a
// cache. Any failure only means no early paint.
async function firstPaint() {
  // The same URLs as the preloads in index.html (Trunk.toml pattern_preload).
  const v = `?v=${boot.dataset.js.split('/').pop()}`;
  try {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = new URL(`paint.js${v}`, document.baseURI).href;
      s.onload = resolve;
      s.onerror = () => reject(new Error('paint.js could not be loaded'));
      document.head.append(s);
    });
    // eslint-disable-next-line no-undef -- the global of wasm-bindgen's no-modules output
    await wasm_bindgen({ module_or_path: new URL(`paint_bg.wasm${v}`, document.baseURI) });
  } catch (e) {
    console.warn('fourfold: no first paint', e);
  }
}

try {
  await firstPaint();
  const js = new URL(boot.dataset.js, document.baseURI);
  const wasm = new URL(boot.dataset.wasm, document.baseURI);
  const bindings = await import(js.href);
  const instance = await bindings.default({ module_or_path: wasm });
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm: instance } }));
  // Offline support (www/sw.js), registered once the page runs so that what the service worker
  // caches ahead (the spreadsheet reader) does not compete with the first load. Not under
  // automation (tests) and only over http(s).
  if ('serviceWorker' in navigator && /^https?:$/.test(location.protocol) && !navigator.webdriver) {
    navigator.serviceWorker.register(new URL('sw.js', document.baseURI), { scope: './' })
      .catch((e) => console.warn('fourfold: offline cache not available', e));
  }
} catch (e) {
  console.error('fourfold: could not start the WebAssembly module', e);
  const status = document.getElementById('status');
  const error = document.getElementById('error');
  if (status) status.textContent = 'error';
  if (error) {
    error.textContent = 'Could not start the WebAssembly module: ' + e;
    error.hidden = false;
  }
}
