//! The browser entry point: hydrates the islands of the server-rendered page (the parts that
//! respond to the user), so the first paint is real HTML and the WASM only attaches behaviour.

// The islands are exported by the app crate; nothing here names them, so link it explicitly.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console while developing; a release build leaves out the hook and
    // the formatting it pulls in (docs/performance.md has what that saves).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
