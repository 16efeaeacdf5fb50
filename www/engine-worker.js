// The analysis engine (src/bin/engine.rs, jobs of src/worker.rs) in a Web Worker. The page
// (src/web/engine.rs) posts {gen, kind: 'analysis' | 'bayes' | 'cancel', text, settings, part,
// parts, loo}; the worker answers {gen, part, kind, message} per step (one
// fourfold::worker::Message as a plain JavaScript value), {gen, part, kind, done: true} after the
// last, or {gen, part, kind, error}. Any newer message stops the older job at its next step:
// steps take about 40 ms, and the worker yields to its event loop between them.
importScripts('./engine.js');
const ready = wasm_bindgen({ module_or_path: './engine_bg.wasm' });
let latest = -1;
const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

self.onmessage = async (event) => {
  const req = event.data;
  latest = req.gen;
  if (req.kind === 'cancel') return;
  const answer = (more) => self.postMessage({ gen: req.gen, part: req.part, kind: req.kind, ...more });
  let job;
  try {
    await ready;
    if (req.gen !== latest) return;
    job = req.kind === 'bayes'
      ? new wasm_bindgen.Bayes(req.text, req.settings)
      : new wasm_bindgen.Analysis(req.text, req.settings, req.part, req.parts, req.loo);
    for (;;) {
      if (req.gen !== latest) return;
      const message = job.step();
      if (message === undefined) {
        answer({ done: true });
        return;
      }
      answer({ message });
      await pause();
    }
  } catch (err) {
    // After a Rust panic the module must not be used again: the page replaces this worker.
    job = undefined;
    answer({ error: String(err) });
  } finally {
    try { job?.free(); } catch { /* the module has stopped: nothing to free */ }
  }
};
