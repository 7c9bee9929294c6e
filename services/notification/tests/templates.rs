//! The shop's templates render with the data notices give them; the engine is a sandbox:
//! user-provided values are escaped in HTML, a template reads nothing but its data, an
//! unknown variable is an error and a runaway loop is stopped.

use minijinja::context;
use std::sync::Arc;

use shop_notification::{
    storage::{MemoryTemplateStore, TemplateStore, Version},
    templates::{self, NAMES, Parts, Templates, is_text_message, money},
};

fn order() -> minijinja::Value {
    context! {
        id => "0192-abc", number => "0192",
        lines => vec![context! { name => "Mug", sku => "MUG-1", quantity => 2, unit_price => "4.50 EUR", line_total => "9.00 EUR" }],
        total => "9.00 EUR",
        address => context! { name => "Ada", line1 => "1 Main St", line2 => "", city => "Paris", region => "", postal_code => "75001", country => "FR" },
    }
}

fn sample() -> minijinja::Value {
    context! {
        shop => "Shop", name => "Ada", link => "http://shop.test/x?token=t", expires => "24 hours",
        order => order(), amount => "9.00 EUR", reason => "", carrier => "DHL", tracking_number => "JJD0001",
        lines => vec![context! { sku => "MUG-1", available => 2, threshold => 5 }],
        new_email => "ada@new.example.com",
        provider => "Google",
    }
}

#[tokio::test]
async fn every_shipped_template_renders_with_its_data() {
    let templates = Templates::new();
    for name in NAMES {
        let content = templates.render(name, "en", &sample()).await.unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert!(!content.subject.is_empty() && !content.subject.contains('\n'), "{name}: {content:?}");
        if is_text_message(name) {
            // A text message is short: the shop, the news, the link; no HTML.
            assert!(content.text.contains("Shop") && content.text.contains("http://shop.test/x"), "{name}");
            assert!(content.html.is_empty() && content.text.len() <= 160, "{name}: one SMS segment: {content:?}");
        } else {
            assert!(content.text.contains("Ada") && content.html.contains("Ada"), "{name} greets by name");
        }
    }
    let confirmation = templates.render("order_confirmation", "en", &sample()).await.unwrap();
    assert!(confirmation.text.contains("2 x Mug (MUG-1)  9.00 EUR") && confirmation.text.contains("Total: 9.00 EUR"));
    assert!(confirmation.text.contains("75001 Paris"), "{}", confirmation.text);
    let shipped = templates.render("order_shipped", "fr", &sample()).await.unwrap();
    assert!(shipped.text.contains("DHL") && shipped.text.contains("JJD0001"), "the fallback locale serves fr");
}

#[tokio::test]
async fn user_values_are_escaped_in_html_only() {
    let templates = Templates::new();
    let mut data = sample();
    data = context! { name => "<script>alert(1)</script>", ..data };
    let welcome = templates.render("welcome", "en", &data).await.unwrap();
    assert!(!welcome.html.contains("<script>"), "{}", welcome.html);
    assert!(welcome.html.contains("&lt;script&gt;"));
    assert!(welcome.text.contains("<script>"), "plain text is not HTML: shown as written");
}

fn parts(body: &str) -> Parts {
    Parts { subject: "s".into(), text: body.into(), html: body.into() }
}

#[test]
fn a_template_reads_nothing_but_its_data() {
    let templates = Templates::new();
    let refused = [
        "{% include '/etc/passwd' %}",
        "{% import 'secrets.txt' as s %}",
        "{{ unknown_variable }}",
        "{{ name.__class__ }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
        "{{ name",
    ];
    for body in refused {
        let err = templates.render_parts("probe", &parts(body), &sample());
        assert!(err.is_err(), "{body} rendered: {:?}", err.map(|c| c.text.chars().take(80).collect::<String>()));
    }
}

#[test]
fn amounts_read_as_people_write_them() {
    assert_eq!(money(1250, "EUR"), "12.50 EUR");
    assert_eq!(money(5, "USD"), "0.05 USD");
    assert_eq!(money(-1999, "USD"), "-19.99 USD");
    assert_eq!(money(1200, "JPY"), "1200 JPY");
}

#[tokio::test]
async fn each_template_checks_against_its_own_sample() {
    let templates = Templates::new();
    for name in NAMES {
        let parts = templates.parts(name, "en").unwrap().clone();
        templates.check(name, &parts).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // A welcome knows no order: a template reading one is refused at save time.
    let reads_order = Parts { subject: "s".into(), text: "{{ order.total }}".into(), html: "<p></p>".into() };
    assert!(templates.check("welcome", &reads_order).is_err());
    assert!(templates.check("order_confirmation", &reads_order).is_ok());
    let huge = Parts { subject: "s".into(), text: "x".repeat(templates::MAX_BODY + 1), html: "<p></p>".into() };
    assert!(templates.check("welcome", &huge).unwrap_err().contains("text"));
}

#[tokio::test]
async fn the_shops_version_is_sent_and_the_shipped_one_stands_in_when_it_fails() {
    let store: Arc<dyn TemplateStore> = Arc::new(MemoryTemplateStore::default());
    let templates = Templates::with_store(store.clone());
    let save = |parts: Option<Parts>| {
        let store = store.clone();
        async move {
            let version =
                Version { name: "welcome".into(), locale: "en".into(), version: 0, parts, by: "admin".into(), at: 1 };
            store.save(version).await.unwrap()
        }
    };
    let ours = Parts { subject: "Hi {{ name }}".into(), text: "{{ link }}".into(), html: "<p>{{ link }}</p>".into() };
    assert_eq!(save(Some(ours)).await, 1);
    assert_eq!(templates.render("welcome", "en", &sample()).await.unwrap().subject, "Hi Ada");
    assert_eq!(
        templates.render("welcome", "de", &sample()).await.unwrap().subject,
        "Hi Ada",
        "the fallback locale's version"
    );
    // Saved behind the check's back (an older release's rule): the shipped one is sent.
    let broken = Parts { subject: "{{ nothing.here }}".into(), text: "t".into(), html: "h".into() };
    assert_eq!(save(Some(broken)).await, 2);
    assert!(templates.render("welcome", "en", &sample()).await.unwrap().subject.starts_with("Welcome to Shop"));
    assert_eq!(save(None).await, 3, "a reset is a version");
    let (_, saved) = templates.in_use("welcome", "en").await.unwrap();
    assert_eq!(saved.map(|v| (v.version, v.parts.is_none())), Some((3, true)));
    assert_eq!(store.history("welcome", "en").await.unwrap().iter().map(|v| v.version).collect::<Vec<_>>(), [3, 2, 1]);
}

#[test]
fn a_text_message_template_has_no_html_and_fits_a_provider() {
    let templates = Templates::new();
    let text = |text: &str, html: &str| Parts { subject: "Shipped".into(), text: text.into(), html: html.into() };
    let shown = templates.check("order_shipped_sms", &text("{{ shop }}: {{ order.number }} shipped. {{ link }}", ""));
    assert!(shown.is_ok_and(|c| c.text.contains("Shop: 01920000 shipped.")));
    assert!(templates.check("order_shipped_sms", &text("{{ link }}", "<p>{{ link }}</p>")).is_err());
    assert!(templates.check("order_shipped_sms", &text(&"x".repeat(1_601), "")).is_err());
    assert!(templates.check("order_shipped_sms", &text(" ", "")).is_err());
}
