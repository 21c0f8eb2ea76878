use std::collections::BTreeMap;
use std::path::Path;

use super::*;

const SECRET: &str = "s3cret-Value";

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    props(pairs)
}

/// A worker configured with `file`, `dir` and `env` providers; `extra` adds or overrides keys.
fn providers(extra: &[(&str, &str)], environment: &[(&str, &str)]) -> ConfigProviders {
    let mut worker = props(&[
        ("config.providers", "file,dir,env"),
        (
            "config.providers.file.class",
            "org.apache.kafka.common.config.provider.FileConfigProvider",
        ),
        (
            "config.providers.dir.class",
            "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        ),
        (
            "config.providers.env.class",
            "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        ),
    ]);
    worker.extend(props(extra));
    let environment = env(environment);
    ConfigProviders::from_worker_props_with_env(&worker, move || environment.clone()).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn secrets_file(dir: &Path) -> String {
    let path = dir.join("db.properties");
    write(
        &path,
        &format!("# credentials\nuser = connect\npassword={SECRET}\n"),
    );
    path.display().to_string()
}

// --- file provider -----------------------------------------------------------------------------

#[test]
fn a_file_placeholder_is_replaced_by_the_property_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let input = props(&[
        ("database.password", &format!("${{file:{file}:password}}")),
        ("database.user", &format!("${{file:{file}:user}}")),
        ("database.hostname", "mysql"),
    ]);
    let out = providers(&[], &[]).resolve(&input).unwrap();
    assert_eq!(out["database.password"], SECRET);
    assert_eq!(out["database.user"], "connect");
    assert_eq!(out["database.hostname"], "mysql");
}

#[test]
fn the_input_keeps_its_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let placeholder = format!("${{file:{file}:password}}");
    let input = props(&[("database.password", &placeholder)]);
    let before = input.clone();
    let out = providers(&[], &[]).resolve(&input).unwrap();
    assert_eq!(input, before);
    assert_eq!(input["database.password"], placeholder);
    assert_eq!(out["database.password"], SECRET);
}

#[test]
fn a_missing_file_is_an_error_naming_the_provider_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.properties").display().to_string();
    let input = props(&[(
        "database.password",
        &format!("${{file:{missing}:password}}"),
    )]);
    let err = providers(&[], &[]).resolve(&input).unwrap_err();
    assert!(
        matches!(err, ConfigProviderError::FileRead { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("Could not read properties from file {missing}")),
        "{message}"
    );
    assert!(message.contains("config provider 'file'"), "{message}");
}

#[test]
fn a_missing_key_leaves_the_placeholder_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let placeholder = format!("${{file:{file}:passwd}}");
    let input = props(&[("database.password", &placeholder)]);
    let resolution = providers(&[], &[]).resolve_reporting(&input).unwrap();
    assert_eq!(resolution.props["database.password"], placeholder);
    assert_eq!(resolution.unresolved.len(), 1);
    let unresolved = &resolution.unresolved[0];
    assert_eq!(unresolved.config_key, "database.password");
    assert_eq!(unresolved.reason, UnresolvedReason::KeyNotFound);
    assert_eq!(unresolved.placeholder.provider, "file");
    assert_eq!(unresolved.placeholder.path, file);
    assert_eq!(unresolved.placeholder.key, "passwd");
    assert_eq!(
        unresolved.to_string(),
        format!(
            "{placeholder} in 'database.password' was left unresolved: the provider has no such key"
        )
    );
}

#[test]
fn a_file_placeholder_without_a_path_is_left_as_written() {
    let input = props(&[("a", "${file:password}")]);
    let resolution = providers(&[], &[]).resolve_reporting(&input).unwrap();
    assert_eq!(resolution.props["a"], "${file:password}");
    assert_eq!(resolution.unresolved[0].reason, UnresolvedReason::NoPath);
}

#[test]
fn a_file_java_properties_refuses_is_an_error_without_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.properties");
    write(&path, &format!("ok=1\npassword={SECRET}\\u12G4\n"));
    let input = props(&[("p", &format!("${{file:{}:ok}}", path.display()))]);
    let err = providers(&[], &[]).resolve(&input).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, ConfigProviderError::FileSyntax { line: 2, .. }),
        "{err:?}"
    );
    assert!(message.contains("Malformed \\uxxxx encoding."), "{message}");
    assert!(!message.contains(SECRET), "{message}");
    assert!(!format!("{err:?}").contains(SECRET));
}

#[test]
fn a_file_that_is_not_utf8_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.properties");
    std::fs::write(&path, b"password=caf\xe9\n").unwrap();
    let input = props(&[("p", &format!("${{file:{}:password}}", path.display()))]);
    let err = providers(&[], &[]).resolve(&input).unwrap_err();
    assert!(
        matches!(err, ConfigProviderError::FileRead { .. }),
        "{err:?}"
    );
}

#[test]
fn one_file_serves_every_placeholder_that_names_it_and_java_escapes_apply() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.properties");
    write(&path, "a=x\\u0041\nb : two \\\n   lines\n");
    let file = path.display();
    let input = props(&[
        ("one", &format!("${{file:{file}:a}}")),
        ("two", &format!("${{file:{file}:b}}")),
    ]);
    let out = providers(&[], &[]).resolve(&input).unwrap();
    assert_eq!(out["one"], "xA");
    assert_eq!(out["two"], "two lines");
}

// --- provider names and classes -----------------------------------------------------------------

#[test]
fn a_provider_not_in_config_providers_leaves_the_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let placeholder = format!("${{vault:{file}:password}}");
    let input = props(&[("database.password", &placeholder)]);
    // `vault` has a class but is not listed: Kafka ignores it.
    let p = providers(
        &[(
            "config.providers.vault.class",
            "org.apache.kafka.common.config.provider.FileConfigProvider",
        )],
        &[],
    );
    let resolution = p.resolve_reporting(&input).unwrap();
    assert_eq!(resolution.props["database.password"], placeholder);
    assert_eq!(
        resolution.unresolved[0].reason,
        UnresolvedReason::ProviderNotConfigured
    );
}

#[test]
fn a_listed_provider_without_a_class_leaves_the_placeholder() {
    let worker = props(&[("config.providers", "file")]);
    let p = ConfigProviders::from_worker_props(&worker).unwrap();
    assert!(p.is_empty());
    let input = props(&[("a", "${file:/etc/hostname:x}")]);
    let resolution = p.resolve_reporting(&input).unwrap();
    assert_eq!(resolution.props, input);
    assert_eq!(
        resolution.unresolved[0].reason,
        UnresolvedReason::ProviderWithoutClass
    );
}

#[test]
fn an_unknown_provider_class_is_refused_naming_it() {
    let worker = props(&[
        ("config.providers", "vault"),
        (
            "config.providers.vault.class",
            "io.confluent.csid.config.provider.vault.VaultConfigProvider",
        ),
    ]);
    let err = ConfigProviders::from_worker_props(&worker).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "Invalid value io.confluent.csid.config.provider.vault.VaultConfigProvider for configuration config.providers.vault.class: Could not load config provider class or one of its dependencies"
        ),
        "{err}"
    );
}

#[test]
fn the_plugin_aliases_of_the_three_classes_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    write(&dir.path().join("token"), "t0k");
    let dir_path = dir.path().display().to_string();
    for (file_class, dir_class, env_class) in [
        (
            "FileConfigProvider",
            "DirectoryConfigProvider",
            "EnvVarConfigProvider",
        ),
        ("File", "Directory", "EnvVar"),
    ] {
        let worker = props(&[
            ("config.providers", " f , d,e "),
            ("config.providers.f.class", file_class),
            ("config.providers.d.class", dir_class),
            ("config.providers.e.class", env_class),
        ]);
        let p =
            ConfigProviders::from_worker_props_with_env(&worker, || env(&[("V", "ev")])).unwrap();
        let input = props(&[
            ("a", &format!("${{f:{file}:password}}")),
            ("b", &format!("${{d:{dir_path}:token}}")),
            ("c", "${e:V}"),
        ]);
        let out = p.resolve(&input).unwrap();
        assert_eq!(out["a"], SECRET, "{file_class}");
        assert_eq!(out["b"], "t0k", "{dir_class}");
        assert_eq!(out["c"], "ev", "{env_class}");
    }
}

#[test]
fn a_class_name_with_a_trailing_space_is_unknown() {
    let worker = props(&[
        ("config.providers", "file"),
        ("config.providers.file.class", "FileConfigProvider "),
    ]);
    assert!(matches!(
        ConfigProviders::from_worker_props(&worker),
        Err(ConfigProviderError::UnknownClass { .. })
    ));
}

// --- allowed.paths ------------------------------------------------------------------------------

struct Tree {
    _root: tempfile::TempDir,
    allowed: std::path::PathBuf,
    outside: std::path::PathBuf,
}

fn tree() -> Tree {
    let root = tempfile::tempdir().unwrap();
    let allowed = root.path().join("allowed");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(allowed.join("sub")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    write(&allowed.join("in.properties"), "password=inside\n");
    write(
        &outside.join("out.properties"),
        &format!("password={SECRET}\n"),
    );
    Tree {
        _root: root,
        allowed,
        outside,
    }
}

fn allowed_file_provider(allowed: &Path) -> ConfigProviders {
    providers(
        &[(
            "config.providers.file.param.allowed.paths",
            &allowed.display().to_string(),
        )],
        &[],
    )
}

fn resolve_one(p: &ConfigProviders, value: &str) -> Resolution {
    p.resolve_reporting(&props(&[("k", value)])).unwrap()
}

#[test]
fn a_path_inside_allowed_paths_is_read() {
    let t = tree();
    let p = allowed_file_provider(&t.allowed);
    let r = resolve_one(
        &p,
        &format!("${{file:{}/in.properties:password}}", t.allowed.display()),
    );
    assert_eq!(r.props["k"], "inside");
    assert!(r.unresolved.is_empty());
}

#[test]
fn a_path_outside_allowed_paths_is_left_unresolved() {
    let t = tree();
    let p = allowed_file_provider(&t.allowed);
    let placeholder = format!("${{file:{}/out.properties:password}}", t.outside.display());
    let r = resolve_one(&p, &placeholder);
    assert_eq!(r.props["k"], placeholder);
    assert_eq!(r.unresolved[0].reason, UnresolvedReason::PathNotAllowed);
}

#[test]
fn dot_dot_traversal_out_of_allowed_paths_is_refused() {
    let t = tree();
    let p = allowed_file_provider(&t.allowed);
    let placeholder = format!(
        "${{file:{}/sub/../../outside/out.properties:password}}",
        t.allowed.display()
    );
    let r = resolve_one(&p, &placeholder);
    assert_eq!(r.props["k"], placeholder);
    assert_eq!(r.unresolved[0].reason, UnresolvedReason::PathNotAllowed);
    assert!(!format!("{r:?}").contains(SECRET));
}

#[test]
fn dot_dot_that_stays_inside_allowed_paths_is_read() {
    let t = tree();
    let p = allowed_file_provider(&t.allowed);
    let r = resolve_one(
        &p,
        &format!(
            "${{file:{}/sub/./../in.properties:password}}",
            t.allowed.display()
        ),
    );
    assert_eq!(r.props["k"], "inside");
}

#[test]
fn a_relative_path_is_refused_when_allowed_paths_is_set() {
    let t = tree();
    let p = allowed_file_provider(&t.allowed);
    let r = resolve_one(&p, "${file:in.properties:password}");
    assert_eq!(r.unresolved[0].reason, UnresolvedReason::PathNotAllowed);
}

#[cfg(unix)]
#[test]
fn a_symlink_inside_allowed_paths_is_followed_as_kafka_checks_only_the_spelling() {
    let t = tree();
    let link = t.allowed.join("link.properties");
    std::os::unix::fs::symlink(t.outside.join("out.properties"), &link).unwrap();
    let p = allowed_file_provider(&t.allowed);
    let r = resolve_one(&p, &format!("${{file:{}:password}}", link.display()));
    assert_eq!(r.props["k"], SECRET);
}

#[cfg(unix)]
#[test]
fn a_path_is_checked_as_spelled_not_through_the_symlinks_of_allowed_paths() {
    let t = tree();
    let link_dir = t.allowed.parent().unwrap().join("allowed-link");
    std::os::unix::fs::symlink(&t.outside, &link_dir).unwrap();
    let p = allowed_file_provider(&link_dir);
    // Through the link: allowed, and the link is followed.
    let through = resolve_one(
        &p,
        &format!("${{file:{}/out.properties:password}}", link_dir.display()),
    );
    assert_eq!(through.props["k"], SECRET);
    // The real directory behind it: a different spelling, so refused.
    let real = resolve_one(
        &p,
        &format!("${{file:{}/out.properties:password}}", t.outside.display()),
    );
    assert_eq!(real.unresolved[0].reason, UnresolvedReason::PathNotAllowed);
}

#[test]
fn allowed_paths_entries_must_be_absolute_and_exist() {
    let t = tree();
    let worker = |value: &str| {
        let mut w = props(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "FileConfigProvider"),
        ]);
        w.insert(
            "config.providers.file.param.allowed.paths".to_owned(),
            value.to_owned(),
        );
        ConfigProviders::from_worker_props(&w)
    };
    let err = worker("relative/dir").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Path relative/dir is not absolute (config.providers.file.param.allowed.paths)"
    );
    let missing = t.allowed.join("nope");
    let err = worker(&format!("{},{}", t.allowed.display(), missing.display())).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Path {} does not exist (config.providers.file.param.allowed.paths)",
            missing.display()
        )
    );
    // Entries are not trimmed, as `String.split(",")` does not trim.
    let err = worker(&format!("{}, {}", t.allowed.display(), t.outside.display())).unwrap_err();
    assert!(err.to_string().contains("is not absolute"), "{err}");
    assert!(worker(&format!("{},{}/", t.allowed.display(), t.outside.display())).is_ok());
}

// --- directory provider -------------------------------------------------------------------------

#[test]
fn a_directory_placeholder_reads_the_whole_file_named_by_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("password"), &format!("{SECRET}\n"));
    std::fs::create_dir(dir.path().join("subdir")).unwrap();
    let d = dir.path().display();
    let input = props(&[
        ("pw", &format!("${{dir:{d}:password}}")),
        ("sub", &format!("${{dir:{d}:subdir}}")),
        ("escape", &format!("${{dir:{d}/subdir:../password}}")),
    ]);
    let resolution = providers(&[], &[]).resolve_reporting(&input).unwrap();
    // Not trimmed: Kafka keeps the trailing newline.
    assert_eq!(resolution.props["pw"], format!("{SECRET}\n"));
    // Directories are not values, and a key never leaves the directory.
    assert_eq!(resolution.props["sub"], input["sub"]);
    assert_eq!(resolution.props["escape"], input["escape"]);
    let reasons: Vec<_> = resolution.unresolved.iter().map(|u| u.reason).collect();
    assert_eq!(
        reasons,
        vec![UnresolvedReason::KeyNotFound, UnresolvedReason::KeyNotFound]
    );
}

#[test]
fn a_directory_path_that_is_not_a_directory_is_left_unresolved() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let r = resolve_one(&providers(&[], &[]), &format!("${{dir:{file}:password}}"));
    assert_eq!(r.unresolved[0].reason, UnresolvedReason::NotADirectory);
}

#[test]
fn the_directory_provider_honours_allowed_paths() {
    let t = tree();
    write(&t.outside.join("token"), SECRET);
    let p = providers(
        &[(
            "config.providers.dir.param.allowed.paths",
            &t.allowed.display().to_string(),
        )],
        &[],
    );
    let r = resolve_one(
        &p,
        &format!("${{dir:{}/../outside:token}}", t.allowed.display()),
    );
    assert_eq!(r.unresolved[0].reason, UnresolvedReason::PathNotAllowed);
    assert!(!r.props["k"].contains(SECRET));
}

// --- environment provider -----------------------------------------------------------------------

#[test]
fn an_env_placeholder_reads_the_process_environment() {
    let (name, value) = std::env::vars()
        .find(|(k, v)| !v.is_empty() && !k.is_empty() && !k.contains(['}', ':']))
        .expect("the test process has an environment variable");
    let worker = props(&[
        ("config.providers", "env"),
        ("config.providers.env.class", "EnvVarConfigProvider"),
    ]);
    let p = ConfigProviders::from_worker_props(&worker).unwrap();
    let out = p
        .resolve(&props(&[("k", &format!("${{env:{name}}}"))]))
        .unwrap();
    assert_eq!(out["k"], value);
}

#[test]
fn allowlist_pattern_must_match_the_whole_variable_name() {
    let p = providers(
        &[("config.providers.env.param.allowlist.pattern", "DB_[A-Z]+")],
        &[
            ("DB_PASSWORD", SECRET),
            ("DB_PASSWORD_OLD", "old"),
            ("MY_DB_USER", "u"),
        ],
    );
    let input = props(&[
        ("a", "${env:DB_PASSWORD}"),
        ("b", "${env:DB_PASSWORD_OLD}"),
        ("c", "${env:MY_DB_USER}"),
        ("d", "${env:DB_ABSENT}"),
    ]);
    let r = p.resolve_reporting(&input).unwrap();
    assert_eq!(r.props["a"], SECRET);
    assert_eq!(r.props["b"], "${env:DB_PASSWORD_OLD}");
    assert_eq!(r.props["c"], "${env:MY_DB_USER}");
    let reasons: Vec<_> = r
        .unresolved
        .iter()
        .map(|u| (u.config_key.as_str(), u.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("b", UnresolvedReason::NotInAllowlist),
            ("c", UnresolvedReason::NotInAllowlist),
            ("d", UnresolvedReason::KeyNotFound),
        ]
    );
    assert!(!format!("{p:?}").contains(SECRET));
}

#[test]
fn an_invalid_allowlist_pattern_is_refused_naming_the_provider() {
    let worker = props(&[
        ("config.providers", "env"),
        ("config.providers.env.class", "EnvVarConfigProvider"),
        ("config.providers.env.param.allowlist.pattern", "DB_(["),
    ]);
    let err = ConfigProviders::from_worker_props_with_env(&worker, BTreeMap::new).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "Invalid value DB_([ for configuration config.providers.env.param.allowlist.pattern:"
        ),
        "{err}"
    );
}

#[test]
fn an_env_placeholder_with_a_path_is_an_error() {
    let p = providers(&[], &[("X", SECRET)]);
    let err = p
        .resolve(&props(&[("k", "${env:some/path:X}")]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Path is not supported for EnvVarConfigProvider, invalid value 'some/path' (config provider 'env')"
    );
}

// --- grammar ------------------------------------------------------------------------------------

#[test]
fn several_placeholders_in_one_value_are_all_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let p = providers(&[], &[("DB_HOST", "mysql")]);
    let input = props(&[(
        "url",
        &format!(
            "jdbc:mysql://${{env:DB_HOST}}:3306/x?user=${{file:{file}:user}}&password=${{file:{file}:password}}&z=${{env:NONE}}"
        ),
    )]);
    let out = p.resolve(&input).unwrap();
    assert_eq!(
        out["url"],
        format!("jdbc:mysql://mysql:3306/x?user=connect&password={SECRET}&z=${{env:NONE}}")
    );
}

#[test]
fn placeholders_do_not_nest_the_first_closing_brace_ends_one() {
    // `${file:${env:DIR}/x:pw}` is the file provider asked for path `${env`, key `DIR`, as
    // Kafka's pattern reads it: that file does not exist.
    let p = providers(&[], &[("DIR", "/tmp")]);
    let err = p
        .resolve(&props(&[("k", "${file:${env:DIR}/x:pw}")]))
        .unwrap_err();
    assert!(
        matches!(&err, ConfigProviderError::FileRead { path, .. } if path == "${env"),
        "{err:?}"
    );
}

#[test]
fn a_resolved_value_is_not_scanned_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.properties");
    write(&path, "pw=${env:X}\n");
    let p = providers(&[], &[("X", SECRET)]);
    let out = p
        .resolve(&props(&[(
            "k",
            &format!("${{file:{}:pw}}", path.display()),
        )]))
        .unwrap();
    assert_eq!(out["k"], "${env:X}");
}

#[test]
fn text_that_only_looks_like_a_placeholder_is_kept() {
    let p = providers(&[], &[("topic", "t")]);
    let values = [
        "${topic}",
        "outbox.event.${routedByValue}",
        "${vault:secret/db:password}",
        "$ {env:topic}",
        "${env:topic",
        "$${}",
        "",
    ];
    for value in values {
        let r = p.resolve_reporting(&props(&[("k", value)])).unwrap();
        assert_eq!(r.props["k"], value);
    }
}

#[test]
fn the_grammar_cuts_provider_and_path_at_the_first_two_colons() {
    let parts = |value: &str| -> Vec<(String, String, String)> {
        placeholders(value)
            .into_iter()
            .map(|p| (p.provider, p.path, p.key))
            .collect()
    };
    let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(parts("${a:b:c:d}"), vec![t("a", "b", "c:d")]);
    assert_eq!(parts("${env:KEY}"), vec![t("env", "", "KEY")]);
    assert_eq!(parts("${p::k}"), vec![t("p", "", "k")]);
    assert_eq!(parts("${a:}"), vec![t("a", "", "")]);
    assert_eq!(parts("${:k}"), vec![t("", "", "k")]);
    assert_eq!(parts("${a${b:c}"), vec![t("a${b", "", "c")]);
    assert_eq!(parts("${x} ${y:z}"), vec![t("y", "", "z")]);
    assert_eq!(
        parts("${f:/p:k}${e:K}"),
        vec![t("f", "/p", "k"), t("e", "", "K")]
    );
    assert!(parts("${nocolon}").is_empty());
}

// --- worker configuration (KIP-421) ------------------------------------------------------------

#[test]
fn worker_placeholders_are_resolved_with_the_workers_own_providers() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let worker = props(&[
        ("config.providers", "file,env"),
        ("config.providers.file.class", "FileConfigProvider"),
        ("config.providers.env.class", "EnvVarConfigProvider"),
        (
            "ssl.keystore.password",
            &format!("${{file:{file}:password}}"),
        ),
        ("sasl.username", "${env:SASL_USER}"),
        ("group.id", "connect"),
    ]);
    let resolution =
        resolve_worker_config_with_env(&worker, || env(&[("SASL_USER", "alice")])).unwrap();
    assert_eq!(resolution.props["ssl.keystore.password"], SECRET);
    assert_eq!(resolution.props["sasl.username"], "alice");
    assert_eq!(resolution.props["group.id"], "connect");
    assert_eq!(
        worker["ssl.keystore.password"],
        format!("${{file:{file}:password}}")
    );
}

#[test]
fn worker_resolution_splits_config_providers_without_trimming_as_abstract_config_does() {
    let worker = props(&[
        ("config.providers", "file, env"),
        ("config.providers.env.class", "EnvVarConfigProvider"),
        ("sasl.username", "${env:SASL_USER}"),
    ]);
    let environment = || env(&[("SASL_USER", "alice")]);
    // AbstractConfig sees a provider named " env", which has no class.
    let at_startup = resolve_worker_config_with_env(&worker, environment).unwrap();
    assert_eq!(at_startup.props["sasl.username"], "${env:SASL_USER}");
    // The worker's connector-time list is a LIST: trimmed.
    let for_connectors = ConfigProviders::from_worker_props_with_env(&worker, environment).unwrap();
    assert_eq!(
        for_connectors.resolve(&worker).unwrap()["sasl.username"],
        "alice"
    );
}

#[test]
fn a_worker_without_providers_is_returned_unchanged() {
    let worker = props(&[("password", "${file:/nonexistent:pw}")]);
    let resolution = resolve_worker_config(&worker).unwrap();
    assert_eq!(resolution.props, worker);
    assert!(resolution.unresolved.is_empty());
}

// --- connector lifecycle ------------------------------------------------------------------------

#[test]
fn reverse_transform_puts_placeholders_back_into_task_configs() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let placeholder = format!("${{file:{file}:password}}");
    let raw = props(&[
        (
            "connector.class",
            "io.debezium.connector.mysql.MySqlConnector",
        ),
        ("database.password", &placeholder),
        ("tasks.max", "1"),
    ]);
    let resolved = providers(&[], &[]).resolve(&raw).unwrap();
    // A connector passes its (resolved) config to its task, adding task keys.
    let mut task = resolved.clone();
    task.insert("task.index".to_owned(), "0".to_owned());
    let without_password = props(&[("task.index", "1")]);
    let stored = reverse_transform(&raw, &[task, without_password.clone()]);
    assert_eq!(stored[0]["database.password"], placeholder);
    assert_eq!(stored[0]["task.index"], "0");
    assert!(!format!("{:?}", stored[0]).contains(SECRET));
    assert_eq!(stored[1], without_password);
}

#[test]
fn keys_with_variable_values_lists_only_keys_holding_a_placeholder() {
    let raw = props(&[("a", "${file:/x:y}"), ("b", "${topic}"), ("c", "plain")]);
    assert_eq!(
        keys_with_variable_values(&raw)
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["a"]
    );
}

#[test]
fn a_changed_secret_file_is_read_again_at_the_next_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let p = providers(&[], &[]);
    let input = props(&[("pw", &format!("${{file:{file}:password}}"))]);
    assert_eq!(p.resolve(&input).unwrap()["pw"], SECRET);
    write(Path::new(&file), "password=rotated\n");
    assert_eq!(p.resolve(&input).unwrap()["pw"], "rotated");
}

#[test]
fn reload_action_defaults_to_restart_and_refuses_other_values() {
    assert_eq!(reload_action(&Props::new()).unwrap(), ReloadAction::Restart);
    assert_eq!(
        reload_action(&props(&[("config.action.reload", " None ")])).unwrap(),
        ReloadAction::None
    );
    let p = providers(&[], &[]);
    let err = p
        .resolve_connector_config(&props(&[("config.action.reload", "sometimes")]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "No enum constant org.apache.kafka.connect.runtime.Herder.ConfigReloadAction.SOMETIMES (config.action.reload)"
    );
}

#[test]
fn a_resolution_debug_shows_keys_but_not_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_file(dir.path());
    let r = resolve_one(&providers(&[], &[]), &format!("${{file:{file}:password}}"));
    assert_eq!(r.props["k"], SECRET);
    let shown = format!("{r:?}");
    assert!(shown.contains("\"k\""), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn the_scanner_agrees_with_kafkas_default_pattern_on_every_short_string() {
    // The pattern as `ConfigTransformer.DEFAULT_PATTERN` spells it; the regex crate gives the
    // same leftmost-first captures as Java's backtracking matcher for it.
    let pattern = regex::Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").unwrap();
    let alphabet = ['$', '{', '}', ':', 'a'];
    let mut checked = 0;
    for len in 0..=7u32 {
        for n in 0..alphabet.len().pow(len) {
            let mut rest = n;
            let value: String = (0..len)
                .map(|_| {
                    let c = alphabet[rest % alphabet.len()];
                    rest /= alphabet.len();
                    c
                })
                .collect();
            let expected: Vec<(usize, usize, String, String, String)> = pattern
                .captures_iter(&value)
                .map(|c| {
                    let all = c.get(0).unwrap();
                    (
                        all.start(),
                        all.end(),
                        c[1].to_owned(),
                        c.get(3).map_or("", |m| m.as_str()).to_owned(),
                        c[4].to_owned(),
                    )
                })
                .collect();
            let actual: Vec<_> = find_placeholders(&value)
                .into_iter()
                .map(|m| {
                    (
                        m.start,
                        m.end,
                        m.provider.to_owned(),
                        m.path.to_owned(),
                        m.key.to_owned(),
                    )
                })
                .collect();
            assert_eq!(actual, expected, "{value:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, (0..=7).map(|l| 5usize.pow(l)).sum::<usize>());
}
