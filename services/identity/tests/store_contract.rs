//! The identity store contracts, run against the embedded stores and MongoDB.

use std::sync::Arc;

use shop_auth::{Role, SigningKey};
use shop_identity::{
    domain::{Email, LinkedIdentity, Mfa, Name, Profile, User, UserId},
    storage::{
        Consumed, KeyStore, MemoryKeyStore, MemoryOneTimeTokens, MemorySessionStore, MemoryUserStore, MongoKeyStore,
        MongoOneTimeTokens, MongoSessionStore, MongoUserStore, OneTimeToken, OneTimeTokens, Purpose, RefreshToken,
        SessionStore, StoreError, UserStore,
    },
};
use shop_messaging::outbox::{MemoryOutbox, MongoOutbox};
use shop_service_kit::Paging;
use shop_test_support::{mongo_url, require, unique};
use time::OffsetDateTime;

fn user(email: &str) -> User {
    let now = OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    User {
        id: UserId::new(),
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Customer,
        profile: Profile {
            first_name: Name::parse("Ada").unwrap(),
            last_name: Name::parse("Lovelace").unwrap(),
            address: None,
        },
        email_verified: false,
        mfa: None,
        identities: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn email() -> String {
    format!("{}@example.com", unique("u"))
}

async fn an_email_has_one_account(store: Arc<dyn UserStore>) {
    let first = user(&email());
    store.insert(&first, &[]).await.unwrap();
    let twin = User { id: UserId::new(), ..first.clone() };
    assert!(matches!(store.insert(&twin, &[]).await, Err(StoreError::EmailTaken)));
    assert_eq!(store.by_email(&first.email).await.unwrap(), Some(first.clone()));
    assert_eq!(store.get(first.id).await.unwrap(), Some(first.clone()));
    assert!(store.get(twin.id).await.unwrap().is_none());
    let verified = User { email_verified: true, version: first.version + 1, ..first };
    store.update(&verified, &[]).await.unwrap();
    assert_eq!(store.get(verified.id).await.unwrap(), Some(verified.clone()), "a proven address is kept");
    let mfa = Mfa {
        sealed_secret: vec![1, 0, 255, 42],
        confirmed: true,
        recovery: vec!["a1b2".into(), "c3d4".into()],
        last_step: Some(58_000_000),
    };
    let second_factor = User { mfa: Some(mfa), version: verified.version + 1, ..verified };
    store.update(&second_factor, &[]).await.unwrap();
    assert_eq!(store.get(second_factor.id).await.unwrap(), Some(second_factor), "a second factor is kept whole");
}

fn identity(subject: &str) -> LinkedIdentity {
    let at = OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    LinkedIdentity {
        id: unique("i"),
        provider: "google".into(),
        issuer: "https://accounts.example.com".into(),
        subject: subject.to_owned(),
        email: Some("ada@example.com".into()),
        linked_at: at,
    }
}

/// An identity is linked to one account: made with it or linked later, found by it,
/// refused to any other (eight accounts racing for one: one gets it), free once unlinked.
async fn an_identity_is_linked_to_one_account(store: Arc<dyn UserStore>) {
    let made = User { identities: vec![identity(&unique("s"))], ..user(&email()) };
    store.insert(&made, &[]).await.unwrap();
    let first = &made.identities[0];
    assert_eq!(store.by_identity(&first.issuer, &first.subject).await.unwrap(), Some(made.clone()));
    assert!(store.by_identity("https://other.example.com", &first.subject).await.unwrap().is_none());
    let twin = User { identities: vec![identity(&first.subject)], ..user(&email()) };
    assert!(matches!(store.insert(&twin, &[]).await, Err(StoreError::IdentityTaken)));
    assert!(store.by_email(&twin.email).await.unwrap().is_none(), "nothing of a refused account is kept");

    let contested = identity(&unique("s"));
    let mut racers = Vec::new();
    for _ in 0..8 {
        let racer = user(&email());
        store.insert(&racer, &[]).await.unwrap();
        racers.push(User { identities: vec![contested.clone()], version: 2, ..racer });
    }
    let tries = racers.iter().map(|r| store.link(r, &contested, &[]));
    let results = futures::future::join_all(tries).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "one account gets the identity");
    assert!(results.iter().all(|r| r.is_ok() || matches!(r, Err(StoreError::IdentityTaken))));
    let winner = racers.iter().zip(&results).find(|(_, r)| r.is_ok()).map(|(u, _)| u.clone()).unwrap();
    assert_eq!(store.by_identity(&contested.issuer, &contested.subject).await.unwrap(), Some(winner.clone()));

    let unlinked = User { identities: Vec::new(), version: 3, ..winner.clone() };
    store.unlink(&unlinked, &contested, &[]).await.unwrap();
    assert!(store.by_identity(&contested.issuer, &contested.subject).await.unwrap().is_none());
    let loser = racers.iter().find(|r| r.id != winner.id).unwrap().clone();
    store.link(&loser, &contested, &[]).await.unwrap();
    let found = store.by_identity(&contested.issuer, &contested.subject).await.unwrap().unwrap();
    assert_eq!((found.id, found.identities), (loser.id, vec![contested]));
}

async fn a_stale_update_is_refused(store: Arc<dyn UserStore>) {
    let original = user(&email());
    store.insert(&original, &[]).await.unwrap();
    let mut first = original.clone();
    first.profile.first_name = Name::parse("Augusta").unwrap();
    first.version = 2;
    store.update(&first, &[]).await.unwrap();
    let mut late = original.clone();
    late.profile.first_name = Name::parse("Mallory").unwrap();
    late.version = 2;
    assert!(matches!(store.update(&late, &[]).await, Err(StoreError::Stale)));
    assert_eq!(store.get(original.id).await.unwrap().unwrap().profile.first_name.as_str(), "Augusta");
}

/// Ten admins step down at once: nine may, the last keeps the role, and can leave it only
/// once another admin comes. A role never changes through a plain update.
async fn the_last_admin_keeps_the_role(store: Arc<dyn UserStore>) {
    let mut admins = Vec::new();
    for _ in 0..10 {
        let admin = User { role: Role::Admin, ..user(&email()) };
        store.insert(&admin, &[]).await.unwrap();
        admins.push(admin);
    }
    let demoted = |u: &User| User { role: Role::Customer, version: u.version + 1, ..u.clone() };
    let demotions = admins.iter().map(|a| {
        let (store, change) = (store.clone(), demoted(a));
        async move { store.change_role(&change, Role::Admin, &[]).await }
    });
    let results = futures::future::join_all(demotions).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 9, "{results:?}");
    let kept = results.iter().position(|r| matches!(r, Err(StoreError::LastAdmin))).expect("one refusal");
    let last = &admins[kept];
    assert!(matches!(store.change_role(&demoted(last), Role::Admin, &[]).await, Err(StoreError::LastAdmin)));
    let sneaky = User { role: Role::Customer, version: last.version + 1, ..last.clone() };
    assert!(matches!(store.update(&sneaky, &[]).await, Err(StoreError::Stale)), "no role change by update");
    let newcomer = user(&email());
    store.insert(&newcomer, &[]).await.unwrap();
    let promoted = User { role: Role::Admin, version: 2, ..newcomer };
    store.change_role(&promoted, Role::Customer, &[]).await.unwrap();
    store.change_role(&demoted(last), Role::Admin, &[]).await.unwrap();
    assert_eq!(store.get(last.id).await.unwrap().unwrap().role, Role::Customer);
}

async fn users_are_listed_in_pages(store: Arc<dyn UserStore>) {
    let one = |n: u64| Paging::parse(u32::try_from(n).unwrap(), 1).unwrap();
    let before = store.list(None, one(1)).await.unwrap().total;
    for _ in 0..3 {
        store.insert(&user(&email()), &[]).await.unwrap();
    }
    let last = store.list(None, one(before + 3)).await.unwrap();
    assert_eq!(last.total, before + 3);
    assert_eq!(last.items.len(), 1, "the last page of one holds the last user");
    assert!(last.next.is_none(), "and says so");
    assert!(store.list(None, one(before + 4)).await.unwrap().items.is_empty(), "past the end, nothing");
    // By cursor: every user once, in id order.
    let mut paging = Paging::parse(1, 2).unwrap();
    let mut seen = Vec::new();
    loop {
        let page = store.list(None, paging.clone()).await.unwrap();
        seen.extend(page.items.iter().map(|u| u.id.to_string()));
        let info = paging.info_of(&page);
        if info.next_cursor.is_empty() {
            break;
        }
        paging = Paging::after(&info.next_cursor, 2).unwrap();
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((seen.len() as u64, &seen), (before + 3, &sorted));
    // Of one role: only its users.
    let admin = User { role: Role::Admin, ..user(&email()) };
    store.insert(&admin, &[]).await.unwrap();
    let admins = store.list(Some(Role::Admin), Paging::parse(1, 100).unwrap()).await.unwrap();
    assert!(admins.items.iter().all(|u| u.role == Role::Admin));
    assert!(admins.items.iter().any(|u| u.id == admin.id));
    assert_eq!(admins.total, admins.items.len() as u64);
}

fn token(family: &str) -> RefreshToken {
    RefreshToken { hash: unique("h"), family_id: family.to_owned(), user_id: UserId::new(), expires_at: 4_000_000_000 }
}

async fn a_refresh_token_is_consumed_once(store: Arc<dyn SessionStore>) {
    let t = token(&unique("f"));
    store.add(&t).await.unwrap();
    let results = futures::future::join_all((0..8).map(|_| store.consume(&t.hash))).await;
    let fresh = results.iter().filter(|r| matches!(r, Ok(Consumed::Fresh(_)))).count();
    let reused = results.iter().filter(|r| matches!(r, Ok(Consumed::Reused(_)))).count();
    assert_eq!((fresh, reused), (1, 7), "exactly one concurrent consumer wins");
    assert_eq!(store.consume("nope").await.unwrap(), Consumed::Unknown);
    assert_eq!(store.find(&t.hash).await.unwrap(), Some(t));
}

async fn a_family_is_revoked_as_a_whole(store: Arc<dyn SessionStore>) {
    let family = unique("f");
    assert!(!store.is_revoked(&family).await.unwrap());
    store.revoke_family(&family).await.unwrap();
    store.revoke_family(&family).await.unwrap();
    assert!(store.is_revoked(&family).await.unwrap());
    assert!(!store.is_revoked(&unique("other")).await.unwrap());
}

async fn every_session_of_a_user_is_revoked_together(store: Arc<dyn SessionStore>) {
    let (mine, theirs) = (token(&unique("f")), token(&unique("f")));
    let second = RefreshToken { hash: unique("h"), family_id: unique("f"), ..mine.clone() };
    for t in [&mine, &second, &theirs] {
        store.add(t).await.unwrap();
    }
    store.revoke_user(mine.user_id).await.unwrap();
    assert!(store.is_revoked(&mine.family_id).await.unwrap());
    assert!(store.is_revoked(&second.family_id).await.unwrap(), "each of the user's sessions");
    assert!(!store.is_revoked(&theirs.family_id).await.unwrap(), "nobody else's");
}

fn one_time(user: UserId, purpose: Purpose, expires_at: i64) -> OneTimeToken {
    OneTimeToken { hash: unique("h"), purpose, user_id: user, expires_at, detail: String::new() }
}

async fn a_one_time_token_is_taken_once_for_its_purpose_before_it_expires(store: Arc<dyn OneTimeTokens>) {
    const NOW: i64 = 2_000_000_000;
    let user = UserId::new();
    let reset = one_time(user, Purpose::ResetPassword, NOW + 1800);
    store.put(&reset).await.unwrap();
    assert_eq!(store.take(&reset.hash, Purpose::VerifyEmail, NOW).await.unwrap(), None, "not for verification");
    for _ in 0..2 {
        let seen = store.peek(&reset.hash, Purpose::ResetPassword, NOW).await.unwrap();
        assert_eq!(seen.as_ref(), Some(&reset), "read, and left in place");
    }
    assert_eq!(store.peek(&reset.hash, Purpose::VerifyEmail, NOW).await.unwrap(), None, "not for another purpose");
    assert_eq!(store.peek(&reset.hash, Purpose::ResetPassword, NOW + 1800).await.unwrap(), None, "not once expired");
    let takers = futures::future::join_all((0..8).map(|_| store.take(&reset.hash, Purpose::ResetPassword, NOW))).await;
    let taken: Vec<UserId> = takers.into_iter().filter_map(|t| t.unwrap()).map(|t| t.user_id).collect();
    assert_eq!(taken, [user], "one of the concurrent takers gets it, once");
    assert_eq!(store.take(&reset.hash, Purpose::ResetPassword, NOW).await.unwrap(), None, "used");

    let expired = one_time(user, Purpose::VerifyEmail, NOW + 1800);
    store.put(&expired).await.unwrap();
    assert_eq!(store.take(&expired.hash, Purpose::VerifyEmail, NOW + 1800).await.unwrap(), None, "expired");
    assert_eq!(store.take("unknown", Purpose::VerifyEmail, NOW).await.unwrap(), None);

    let (old, other, theirs) = (
        one_time(user, Purpose::ResetPassword, NOW + 1800),
        one_time(user, Purpose::VerifyEmail, NOW + 1800),
        one_time(UserId::new(), Purpose::ResetPassword, NOW + 1800),
    );
    for t in [&old, &other, &theirs] {
        store.put(t).await.unwrap();
    }
    store.forget(user, Purpose::ResetPassword).await.unwrap();
    assert_eq!(store.take(&old.hash, Purpose::ResetPassword, NOW).await.unwrap(), None, "forgotten");
    let stays = store.take(&other.hash, Purpose::VerifyEmail, NOW).await.unwrap();
    assert_eq!(stays.map(|t| t.user_id), Some(user), "another purpose stays");
    // A change of email keeps its new address with the token.
    let change = OneTimeToken { detail: "new@example.com".into(), ..one_time(user, Purpose::ChangeEmail, NOW + 60) };
    store.put(&change).await.unwrap();
    assert_eq!(store.take(&change.hash, Purpose::ChangeEmail, NOW).await.unwrap(), Some(change.clone()));
    assert!(store.take(&theirs.hash, Purpose::ResetPassword, NOW).await.unwrap().is_some(), "another user's stays");
}

async fn keys_are_kept_whole_replaced_by_id_and_removed(store: Arc<dyn KeyStore>) {
    let (key, other) = (SigningKey::generate().unwrap(), SigningKey::generate().unwrap());
    store.put(&key).await.unwrap();
    store.put(&other).await.unwrap();
    let all = store.all().await.unwrap();
    let stored = all.iter().find(|k| k.kid == key.kid).unwrap();
    assert_eq!(stored.private_pkcs8, key.private_pkcs8);
    assert_eq!(stored.public, key.public);
    assert_eq!(stored.created_at, key.created_at);
    let resealed = SigningKey { private_pkcs8: vec![1, 2, 3], ..key.clone() };
    store.put(&resealed).await.unwrap();
    let all = store.all().await.unwrap();
    assert_eq!(all.iter().filter(|k| k.kid == key.kid).map(|k| &k.private_pkcs8).collect::<Vec<_>>(), [&vec![1, 2, 3]]);
    store.remove(&key.kid).await.unwrap();
    let kids: Vec<String> = store.all().await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(kids, [other.kid]);
}

mod embedded {
    use super::*;

    fn users() -> Arc<dyn UserStore> {
        Arc::new(MemoryUserStore::new(MemoryOutbox::default()))
    }

    shop_test_support::contract_tests!(
        an_email_has_one_account(users()),
        a_stale_update_is_refused(users()),
        an_identity_is_linked_to_one_account(users()),
        the_last_admin_keeps_the_role(users()),
        users_are_listed_in_pages(users()),
        a_refresh_token_is_consumed_once(Arc::new(MemorySessionStore::default())),
        a_family_is_revoked_as_a_whole(Arc::new(MemorySessionStore::default())),
        every_session_of_a_user_is_revoked_together(Arc::new(MemorySessionStore::default())),
        a_one_time_token_is_taken_once_for_its_purpose_before_it_expires(Arc::new(MemoryOneTimeTokens::default())),
        keys_are_kept_whole_replaced_by_id_and_removed(Arc::new(MemoryKeyStore::default())),
    );
}

mod mongo {
    use super::*;

    async fn db() -> mongodb::Database {
        require("MongoDB", &mongo_url());
        // The stand-in cannot interleave transactions on one database (docs/testing.md).
        shop_storage::serialize_transactions();
        shop_storage::connect(&mongo_url(), &unique("identity")).await.unwrap()
    }

    async fn users() -> Arc<dyn UserStore> {
        let db = db().await;
        Arc::new(MongoUserStore::open(db.clone(), MongoOutbox::new(&db)).await.unwrap())
    }

    #[tokio::test]
    async fn sessions_are_forgotten_once_nothing_can_use_them() {
        let db = db().await;
        MongoSessionStore::open(&db, std::time::Duration::from_secs(3600)).await.unwrap();
        assert_eq!(shop_test_support::ttl(&db, "refresh_tokens", "expires").await, Some(std::time::Duration::ZERO));
        let revoked = shop_test_support::ttl(&db, "revoked_families", "at").await;
        assert_eq!(revoked, Some(std::time::Duration::from_secs(3600)), "a refresh token's lifetime after");
    }

    shop_test_support::contract_tests!(
        an_email_has_one_account(users().await),
        a_stale_update_is_refused(users().await),
        an_identity_is_linked_to_one_account(users().await),
        the_last_admin_keeps_the_role(users().await),
        users_are_listed_in_pages(users().await),
        a_refresh_token_is_consumed_once(Arc::new(
            MongoSessionStore::open(&db().await, std::time::Duration::from_secs(3600)).await.unwrap()
        )),
        a_family_is_revoked_as_a_whole(Arc::new(
            MongoSessionStore::open(&db().await, std::time::Duration::from_secs(3600)).await.unwrap()
        )),
        every_session_of_a_user_is_revoked_together(Arc::new(
            MongoSessionStore::open(&db().await, std::time::Duration::from_secs(3600)).await.unwrap()
        )),
        a_one_time_token_is_taken_once_for_its_purpose_before_it_expires(Arc::new(
            MongoOneTimeTokens::open(&db().await).await.unwrap()
        )),
        keys_are_kept_whole_replaced_by_id_and_removed(Arc::new(MongoKeyStore::new(&db().await))),
    );
}
