//! The shop's templates render with the data notices give them; the engine is a sandbox:
//! user-provided values are escaped in HTML, a template reads nothing but its data, an
//! unknown variable is an error and a runaway loop is stopped.

use minijinja::context;
use shop_notification::templates::{NAMES, Parts, Templates, money};

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
    }
}

#[test]
fn every_shipped_template_renders_with_its_data() {
    let templates = Templates::new();
    for name in NAMES {
        let content = templates.render(name, "en", &sample()).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert!(!content.subject.is_empty() && !content.subject.contains('\n'), "{name}: {content:?}");
        assert!(content.text.contains("Ada") && content.html.contains("Ada"), "{name} greets by name");
    }
    let confirmation = templates.render("order_confirmation", "en", &sample()).unwrap();
    assert!(confirmation.text.contains("2 x Mug (MUG-1)  9.00 EUR") && confirmation.text.contains("Total: 9.00 EUR"));
    assert!(confirmation.text.contains("75001 Paris"), "{}", confirmation.text);
    let shipped = templates.render("order_shipped", "fr", &sample()).unwrap();
    assert!(shipped.text.contains("DHL") && shipped.text.contains("JJD0001"), "the fallback locale serves fr");
}

#[test]
fn user_values_are_escaped_in_html_only() {
    let templates = Templates::new();
    let mut data = sample();
    data = context! { name => "<script>alert(1)</script>", ..data };
    let welcome = templates.render("welcome", "en", &data).unwrap();
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
