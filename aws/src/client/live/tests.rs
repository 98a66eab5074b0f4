use super::*;

#[test]
fn the_own_runtime_can_be_dropped_inside_async_code() {
    // A plain drop of a runtime panics in async code, where clients are dropped; and the
    // tasks credential providers leave on it (refreshes, timers) must end with it.
    let task_state = Arc::new(());
    let outer = runbook_engine::host::virtual_runtime().unwrap();
    outer.block_on(async {
        let own = OwnRuntime(Some(tokio::runtime::Builder::new_current_thread().build().unwrap()));
        let held = Arc::clone(&task_state);
        own.get().expect("a runtime until dropped").spawn(async move {
            std::future::pending::<()>().await;
            drop(held);
        });
        assert_eq!(Arc::strong_count(&task_state), 2, "the task holds its state");
        drop(own);
    });
    assert_eq!(Arc::strong_count(&task_state), 1, "a task outlived the client's runtime");
}

#[test]
fn uuids_have_the_version_4_form() {
    let uuid = uuid_v4();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4");
    assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    assert_ne!(uuid, uuid_v4());
}

#[test]
fn host_prefixes_apply_only_without_an_override() {
    let request = HttpRequest {
        method: "POST".into(),
        path: "/v20180820/jobs".into(),
        headers: Vec::new(),
        body: Vec::new(),
        host_prefix: Some("123456789012.".into()),
    };
    let endpoint = |url: &str, overridden| Endpoint {
        url: url.into(),
        signing_region: "us-east-1".into(),
        signing_name: "s3".into(),
        overridden,
    };
    assert_eq!(
        url(&endpoint("https://s3-control.us-east-1.amazonaws.com", false), &request),
        "https://123456789012.s3-control.us-east-1.amazonaws.com/v20180820/jobs"
    );
    assert_eq!(
        url(&endpoint("http://127.0.0.1:5000", true), &request),
        "http://127.0.0.1:5000/v20180820/jobs"
    );
}
