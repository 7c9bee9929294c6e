//! AMQP topic matching (`*` = exactly one word, `#` = zero or more words) for the
//! in-process bus, so it routes exactly as RabbitMQ does.

pub(crate) fn matches(pattern: &str, key: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = key.split('.').collect();
    matches_words(&pattern, &key)
}

fn matches_words(pattern: &[&str], key: &[&str]) -> bool {
    match (pattern.first(), key.first()) {
        (None, None) => true,
        (Some(&"#"), _) => matches_words(&pattern[1..], key) || (!key.is_empty() && matches_words(pattern, &key[1..])),
        (Some(&"*"), Some(_)) => matches_words(&pattern[1..], &key[1..]),
        (Some(p), Some(k)) if p == k => matches_words(&pattern[1..], &key[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn topic_patterns_match_like_rabbitmq() {
        assert!(matches("order.*", "order.paid"));
        assert!(!matches("order.*", "order.paid.late"));
        assert!(matches("order.#", "order.paid.late"));
        assert!(matches("order.#", "order"));
        assert!(matches("#", "anything.at.all"));
        assert!(matches("*.paid", "order.paid"));
        assert!(!matches("order.paid", "order.placed"));
        assert!(matches("#.paid", "a.b.paid"));
    }
}
