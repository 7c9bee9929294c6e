//! The web app's journeys in a real browser (Debian's Chromium driven by playwright-core,
//! `web/tests/e2e/`) against the all-in-one platform: a shopper signs up, searches and
//! filters, buys two variants with the sandbox's test card, sees and cancels the order,
//! reviews (markup stays text); a declined card keeps the cart; the keyboard alone gets
//! through; a vendor creates a product, sets its stock, sees its low-stock alert and cannot
//! edit another vendor's product; an admin ships an order and sees the sale on the
//! dashboard; axe finds no serious or critical violation; the initial script stays in its
//! budget. Screenshots of each page at desktop and mobile widths land in
//! `$SHOP_STATE_DIR/screenshots` (default `/var/tmp/shop/screenshots`).

use std::process::Command;

use shop_e2e::Running;

#[tokio::test]
async fn shoppers_journeys_pass_in_a_real_browser() {
    let app = Running::start_with(&shop_e2e::unthrottled()).await;
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/../web");
    let state = std::env::var("SHOP_STATE_DIR").unwrap_or_else(|_| "/var/tmp/shop".into());
    let base = app.api.base.clone();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("npm")
            .args(["run", "--silent", "e2e"])
            .current_dir(web)
            .env("E2E_BASE_URL", base)
            .env("E2E_SCREENSHOTS", format!("{state}/screenshots"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run npm ({e}): scripts/test installs Node's modules and Chromium"))
    })
    .await
    .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    // The figures the journeys measure, for the run's log.
    for line in said.lines().filter(|l| l.starts_with("# ") && (l.contains("KiB") || l.contains(" ms"))) {
        println!("{line}");
    }
    assert!(run.status.success(), "the browser journeys failed:\n{said}");
    app.stop().await;
}
