//! Every RPC of every service, called on the fleet (each service its own process) with
//! every kind of credential: none, a customer's, a vendor's or an admin's token alone,
//! each other service's credential, and the rightful caller's. What gets through is
//! exactly what the service's policy table says.

use std::collections::HashMap;

use shop_e2e::{
    commerce::{customer, vendor},
    fleet::{Fleet, Options},
    services::Services,
};
use shop_service_kit::{
    Upstream,
    policy::{Allow, Policy, SERVICES, contract_methods},
};
use tonic::{Code, Status};

const POLICIES: [Policy; 7] = [
    shop_identity::grpc::POLICY,
    shop_catalog::grpc::POLICY,
    shop_inventory::grpc::POLICY,
    shop_order::grpc::POLICY,
    shop_payment::grpc::POLICY,
    shop_notification::grpc::POLICY,
    shop_analytics::grpc::POLICY,
];

/// Calls `method` of `policy`'s service with an empty message (every field at its default)
/// and a user's `token`, if any.
async fn call(channel: Upstream, service: &str, method: &str, token: Option<&str>) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = tonic::Request::new(());
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let path: http::uri::PathAndQuery = format!("/{service}/{method}").parse().unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    grpc.unary(request, path, codec).await.map(drop)
}

/// Whether the policy, not the handler, refused.
fn refused_by_policy(status: &Status) -> bool {
    match status.code() {
        Code::PermissionDenied => true,
        Code::Unauthenticated => status.message().contains("service credential"),
        _ => false,
    }
}

struct Channels {
    services: Services,
    open: HashMap<(Option<&'static str>, &'static str), Upstream>,
}

impl Channels {
    /// A channel to `target` carrying `me`'s service token, or none.
    fn to(&mut self, me: Option<&'static str>, target: &'static str) -> Upstream {
        let services = &self.services;
        let make = || match me {
            Some(me) => services.channel_as(me, target),
            None => services.bare(target),
        };
        self.open.entry((me, target)).or_insert_with(make).clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_admits_exactly_the_callers_its_policy_names() {
    let _one = Fleet::exclusive().await;
    let fleet = Fleet::start(Options { no_demo_data: true, ..Options::default() }).await;
    let admin = fleet.admin().await;
    let users =
        [("customer", customer(&fleet.api).await), ("vendor", vendor(&fleet.api, &admin).await), ("admin", admin)];
    let mut channels = Channels { services: fleet.services(), open: HashMap::new() };
    let mut checked = 0;
    for policy in POLICIES {
        policy.check().expect("the table matches the contract");
        let target = policy.callee;
        for method in contract_methods(policy.service).unwrap() {
            let allow = policy.allowed(&method).unwrap();
            let call_as = |me: Option<&'static str>, token: Option<&str>, channels: &mut Channels| {
                let channel = channels.to(me, target);
                let token = token.map(str::to_owned);
                let method = method.clone();
                async move { call(channel, policy.service, &method, token.as_deref()).await }
            };
            let what = format!("{}/{method}", policy.service);
            // No credential at all.
            let outsider = call_as(None, None, &mut channels).await;
            match allow {
                Allow::Anyone => assert!(!outsider.as_ref().is_err_and(refused_by_policy), "{what}: {outsider:?}"),
                Allow::Services(_) => {
                    let code = outsider.as_ref().map_err(Status::code);
                    assert_eq!(code, Err(Code::Unauthenticated), "{what} without a credential: {outsider:?}");
                }
            }
            let Allow::Services(callers) = allow else { continue };
            // A user's token alone, whatever the role.
            for (role, token) in &users {
                let answer = call_as(None, Some(token), &mut channels).await;
                let code = answer.as_ref().map_err(Status::code);
                assert_eq!(code, Err(Code::PermissionDenied), "{what} with a {role}'s token: {answer:?}");
            }
            // Each service's own credential: the named ones get through, the others not.
            for me in SERVICES.iter().copied() {
                let answer = call_as(Some(me), None, &mut channels).await;
                if callers.contains(&me) {
                    assert!(!answer.as_ref().is_err_and(refused_by_policy), "{what} as {me}: {answer:?}");
                } else {
                    let code = answer.as_ref().map_err(Status::code);
                    assert_eq!(code, Err(Code::PermissionDenied), "{what} as {me}: {answer:?}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "every service-only RPC was tried ({checked})");
    fleet.stop(&[]);
}

#[tokio::test]
async fn a_table_must_name_every_rpc_of_its_contract() {
    for policy in POLICIES {
        policy.check().unwrap();
    }
    let partial = Policy { rules: &shop_payment::grpc::POLICY.rules[1..], ..shop_payment::grpc::POLICY };
    assert!(partial.check().unwrap_err().to_string().contains("no rule for"));
}
