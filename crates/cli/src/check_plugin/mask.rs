//! Masking of request paths in `check-plugin`'s report: a path may carry a secret of the author's
//! configuration (a Slack webhook's `/services/T…/B…/X…`), so only its first segment is shown
//! unless `--show-paths` is given, as the host records only origins.

/// `path` with everything after its first segment, and its query, replaced by `***`:
/// `/services/T0/B0/X` reads `/services/***`, `/v1/items?key=k` reads `/v1/***?***`, and `/`
/// or a one-segment path without a query reads as given.
pub fn mask_path(path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let mut masked = String::from("/");
    match trimmed.split_once('/') {
        Some((first, rest)) => {
            masked.push_str(first);
            if !rest.is_empty() {
                masked.push_str("/***");
            } else {
                masked.push('/');
            }
        }
        None => masked.push_str(trimmed),
    }
    if query.is_some() {
        masked.push_str("?***");
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::mask_path;

    #[test]
    fn only_the_first_segment_of_a_path_is_kept() {
        assert_eq!(mask_path("/services/T0/B0/SECRET"), "/services/***");
        assert_eq!(mask_path("/v1/items?key=secret"), "/v1/***?***");
        assert_eq!(mask_path("/hook?token=secret"), "/hook?***");
        assert_eq!(mask_path("/hook"), "/hook");
        assert_eq!(mask_path("/hook/"), "/hook/");
        assert_eq!(mask_path("/"), "/");
    }
}
