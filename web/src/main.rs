//! The playground's entry point: Trunk builds this binary for the browser.

#[cfg(target_arch = "wasm32")]
fn main() {
    podpass_web::ui::start();
}

/// Natively there is nothing to run: the playground is a web page.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "podpass-web is the browser playground: build it with `trunk build --release` \
         (or `trunk serve`) from the repository root."
    );
}
