//! Resolving a run over target locations: the `TargetLocationsURL` object read through
//! `s3.GetObject`, and each location's accounts, organizational units and roots resolved
//! through AWS Organizations, every page read.

use indexmap::IndexSet;
use serde_json::{Map, Value, json};

use super::request::Locations;
use crate::execute::action::StepContext;
use crate::execute::targets::resolve::paged;
use crate::record::TargetLocation;

/// The locations of `locations`: as given, or read from the S3 object its URL names.
pub(super) async fn target_locations(
    cx: &StepContext<'_>,
    locations: &Locations,
) -> Result<Vec<TargetLocation>, String> {
    let Some(url) = &locations.target_locations_url else {
        return Ok(locations.target_locations.clone());
    };
    let (bucket, key) = s3_object(url).ok_or_else(|| {
        format!("`TargetLocationsURL` `{url}` does not name an S3 object (s3://BUCKET/KEY or an S3 https URL)")
    })?;
    let answer = cx
        .call("s3", "GetObject", json!({ "Bucket": bucket, "Key": key }))
        .await
        .map_err(|error| format!("s3.GetObject failed: {error}"))?;
    let body = match answer.get("Body") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text)
            .map_err(|error| format!("the object at `{url}` is not JSON: {error}"))?,
        Some(list @ Value::Array(_)) => list.clone(),
        _ => return Err(format!("the object at `{url}` has no body")),
    };
    Locations::parse_list(&body).map_err(|error| format!("the object at `{url}`: {error}"))
}

/// The bucket and key of an S3 URL: `s3://BUCKET/KEY`, a virtual-hosted
/// `https://BUCKET.s3[.REGION].amazonaws.com/KEY` or a path-style
/// `https://s3[.REGION].amazonaws.com/BUCKET/KEY`; a query (a presigned URL's) is ignored.
pub(super) fn s3_object(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let split = |path: &str| -> Option<(String, String)> {
        let (bucket, key) = path.split_once('/')?;
        (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
    };
    if let Some(rest) = url.strip_prefix("s3://") {
        return split(rest);
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    if host.starts_with("s3.") || host.starts_with("s3-") {
        return split(path);
    }
    let bucket = host.split_once(".s3.").or_else(|| host.split_once(".s3-"))?.0;
    (!bucket.is_empty() && !path.is_empty()).then(|| (bucket.to_string(), path.to_string()))
}

/// Whether `id` names an organizational unit or a root rather than an account.
fn is_unit(id: &str) -> bool {
    id.starts_with("ou-") || id.starts_with("r-")
}

/// The accounts of `location`: its account ids, and the accounts of its organizational units
/// and roots (of the units below them too with `IncludeChildOrganizationUnits`), less
/// `ExcludeAccounts` (whose units count with the units below them), in order, each once.
/// Without `Accounts`, the run's own account.
pub(super) async fn accounts(
    cx: &StepContext<'_>,
    location: &TargetLocation,
    own: &str,
) -> Result<Vec<String>, String> {
    let mut found = IndexSet::new();
    if location.accounts.is_empty() {
        found.insert(own.to_string());
    }
    for entry in &location.accounts {
        expand(cx, entry, location.include_child_organization_units, &mut found).await?;
    }
    let mut excluded = IndexSet::new();
    for entry in &location.exclude_accounts {
        expand(cx, entry, true, &mut excluded).await?;
    }
    found.retain(|account| !excluded.contains(account));
    Ok(found.into_iter().collect())
}

/// Adds the accounts `entry` names to `found`: itself, or a unit's active accounts
/// (`organizations.ListAccountsForParent`), and with `children` those of the units below it
/// (`organizations.ListChildren`), breadth first.
async fn expand(
    cx: &StepContext<'_>,
    entry: &str,
    children: bool,
    found: &mut IndexSet<String>,
) -> Result<(), String> {
    let entry = entry.trim();
    if !is_unit(entry) {
        found.insert(entry.to_string());
        return Ok(());
    }
    let mut queue = std::collections::VecDeque::from([entry.to_string()]);
    let mut seen = IndexSet::new();
    while let Some(unit) = queue.pop_front() {
        if !seen.insert(unit.clone()) {
            continue;
        }
        let mut params = Map::new();
        params.insert("ParentId".into(), Value::String(unit.clone()));
        let accounts =
            paged(cx, "organizations", "ListAccountsForParent", params.clone(), |page, found| {
                let accounts = page.get("Accounts").and_then(Value::as_array);
                for account in accounts.into_iter().flatten() {
                    // Suspended and closing accounts cannot run anything.
                    let active = account
                        .get("Status")
                        .and_then(Value::as_str)
                        .is_none_or(|status| status == "ACTIVE");
                    if let Some(id) = account.get("Id").and_then(Value::as_str).filter(|_| active) {
                        found.insert(id.to_string());
                    }
                }
            })
            .await?;
        found.extend(accounts);
        if children {
            params.insert("ChildType".into(), json!("ORGANIZATIONAL_UNIT"));
            let units = paged(cx, "organizations", "ListChildren", params, |page, found| {
                let children = page.get("Children").and_then(Value::as_array);
                for child in children.into_iter().flatten() {
                    if let Some(id) = child.get("Id").and_then(Value::as_str) {
                        found.insert(id.to_string());
                    }
                }
            })
            .await?;
            queue.extend(units);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_name_their_bucket_and_key() {
        let object = |bucket: &str, key: &str| Some((bucket.to_string(), key.to_string()));
        assert_eq!(s3_object("s3://b/dir/l.json"), object("b", "dir/l.json"));
        assert_eq!(s3_object("https://b.s3.amazonaws.com/l.json"), object("b", "l.json"));
        assert_eq!(
            s3_object("https://b.s3.eu-west-1.amazonaws.com/d/l.json?X-Amz-Signature=1"),
            object("b", "d/l.json")
        );
        assert_eq!(s3_object("https://s3.us-east-2.amazonaws.com/b/l.json"), object("b", "l.json"));
        assert_eq!(s3_object("https://example.com/l.json"), None);
        assert_eq!(s3_object("s3://bucket-only"), None);
        assert_eq!(s3_object("ftp://b/k"), None);
    }

    #[test]
    fn units_and_roots_are_told_from_accounts() {
        assert!(is_unit("ou-ab12-cdef3456"));
        assert!(is_unit("r-ab12"));
        assert!(!is_unit("123456789012"));
    }
}
