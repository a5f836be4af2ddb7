//! The mount a login uses when it names none is chosen in one place
//! (`Configuration::default_mount`): `kubernetes` when it exists, else the only mount, else none.
//! The policy-test runner (and so `podpass check`/`podpass test`) takes it from there.

use podpass_core::configuration::Configuration;
use podpass_core::policy_test::Tester;

fn with_mounts(paths: &[&str]) -> Configuration {
    let mut configuration = Configuration::default();
    for path in paths {
        configuration.enable_kubernetes(path);
    }
    configuration
}

#[test]
fn kubernetes_wins_over_a_mount_sorted_before_it() {
    let configuration = with_mounts(&["a", "kubernetes"]);
    assert_eq!(configuration.default_mount(), Some("kubernetes"));
    assert_eq!(Tester::new(&configuration).default_mount(), "kubernetes");
}

#[test]
fn the_only_mount_is_the_default_whatever_its_path() {
    let configuration = with_mounts(&["k8s-prod"]);
    assert_eq!(configuration.default_mount(), Some("k8s-prod"));
    assert_eq!(Tester::new(&configuration).default_mount(), "k8s-prod");
}

#[test]
fn several_mounts_without_kubernetes_or_none_have_no_default() {
    assert_eq!(with_mounts(&["a", "b"]).default_mount(), None);
    assert_eq!(with_mounts(&[]).default_mount(), None);
    // The runner then tries `kubernetes`, whose absence its error explains.
    let configuration = with_mounts(&["a", "b"]);
    assert_eq!(Tester::new(&configuration).default_mount(), "kubernetes");
}
