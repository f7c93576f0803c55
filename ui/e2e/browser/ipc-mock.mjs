// The in-page half of the Tauri IPC fake. `installIpcMock` is serialised by Playwright
// (page.addInitScript) and runs in every page before the app's own scripts, so it must be
// self-contained: no imports, no closures over this module.
//
// It defines what @tauri-apps/api 2.x reads from the window (see
// node_modules/@tauri-apps/api/core.js, event.js and mocks.js):
//   __TAURI_INTERNALS__.invoke(cmd, args, options)   every command, plugin calls included
//   __TAURI_INTERNALS__.transformCallback(fn, once)  callback ids (events, Channels)
//   __TAURI_INTERNALS__.unregisterCallback(id) / runCallback(id, data) / callbacks
//   __TAURI_INTERNALS__.metadata                     current window/webview labels ("main")
//   __TAURI_INTERNALS__.convertFileSrc, .plugins.path
//   __TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener(event, id)
// Commands go to Node through the Playwright binding `bindingName` as JSON text, both ways
// (backend.mjs answers them); the event plugin (listen/unlisten/emit) is handled here, and Node emits events
// to the page through window.__HANDSHAKE_E2E__.emit(event, payload).
export function installIpcMock({ bindingName, windowLabel }) {
  const callbacks = new Map();
  const listeners = new Map(); // event name -> [{ id, target }]
  let nextId = 1;

  function transformCallback(callback, once = false) {
    const id = nextId++;
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      return callback && callback(data);
    });
    return id;
  }
  function unregisterCallback(id) {
    callbacks.delete(id);
  }
  function runCallback(id, data) {
    const cb = callbacks.get(id);
    if (cb) cb(data);
    else console.warn(`[e2e ipc mock] no callback ${id}`);
  }

  function emitLocal(event, payload) {
    for (const l of [...(listeners.get(event) ?? [])]) runCallback(l.id, { event, id: l.id, payload });
  }

  async function invoke(cmd, args = {}, _options) {
    // What the real IPC does to arguments: JSON (Channel and friends have toJSON).
    const plain = args === undefined ? {} : JSON.parse(JSON.stringify(args));
    switch (cmd) {
      case "plugin:event|listen": {
        const list = listeners.get(plain.event) ?? [];
        list.push({ id: plain.handler, target: plain.target });
        listeners.set(plain.event, list);
        window[bindingName]("plugin:event|listen", JSON.stringify(plain)).catch(() => {});
        return plain.handler;
      }
      case "plugin:event|unlisten": {
        const list = listeners.get(plain.event) ?? [];
        listeners.set(plain.event, list.filter((l) => l.id !== plain.eventId));
        return null;
      }
      case "plugin:event|emit":
      case "plugin:event|emit_to":
        emitLocal(plain.event, plain.payload);
        break; // and tell the backend, which may react to front-end events
      default:
        break;
    }
    const reply = JSON.parse(await window[bindingName](cmd, JSON.stringify(plain)));
    if (!reply || reply.ok !== true) throw reply ? reply.error : `no reply for ${cmd}`;
    return reply.value;
  }

  window.__TAURI_INTERNALS__ = Object.assign(window.__TAURI_INTERNALS__ ?? {}, {
    invoke,
    transformCallback,
    unregisterCallback,
    runCallback,
    callbacks,
    metadata: {
      currentWindow: { label: windowLabel },
      currentWebview: { windowLabel, label: windowLabel },
    },
    convertFileSrc: (path, protocol = "asset") => `${protocol}://localhost/${encodeURIComponent(path)}`,
    plugins: { path: { sep: "/", delimiter: ":" } },
  });
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = Object.assign(window.__TAURI_EVENT_PLUGIN_INTERNALS__ ?? {}, {
    unregisterListener(event, id) {
      const list = listeners.get(event) ?? [];
      listeners.set(event, list.filter((l) => l.id !== id));
      unregisterCallback(id);
    },
  });
  // For the Node side: emit an event, feed a Channel, see who listens.
  window.__HANDSHAKE_E2E__ = {
    emit: (event, payload) => emitLocal(event, payload),
    channel: (id, index, message) => runCallback(id, { index, message }),
    channelEnd: (id, index) => runCallback(id, { index, end: true }),
    listening: (event) => (listeners.get(event) ?? []).length,
  };
}
