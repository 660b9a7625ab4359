//! The browser entry point: hydrates the server-rendered page with the same `App` the server
//! rendered, so the first paint is real HTML and the WASM only attaches behaviour.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
