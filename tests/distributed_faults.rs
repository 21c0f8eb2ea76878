//! Faults in a cluster of Sluice workers (issue #14): a request forwarded to a leader that has
//! just died, a leader dying in the middle of a rebalance, a worker of the group reading another
//! config topic. Each test ends with Kafka's REST
//! answers, all work RUNNING on the survivors, no source task running on two workers and no
//! line lost. The workers bootstrap through the harness's [`GroupCoordinator`] (tansu 0.6's
//! own coordinator is defective, see `distributed.rs`).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use connect_e2e::cluster::{
    Sources, WAIT, append_all, check_topics, create_spread, leader_url, logs, settled, sluice,
    sluice_builder, source_config, sources, three_workers, wait_all_running, worker_id,
};
use connect_e2e::{
    BoxError, Broker, GroupCoordinator, GroupState, RestResponse, Until, Worker, it_enabled,
    random_name, read_topic, wait_until,
};
use serde_json::json;

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

/// Kafka's REST request timeout (`RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS`, 90 s): no answer
/// may take longer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// The answers Kafka 3.9 gives a write sent to a follower whose leader is gone
/// (`HerderRequestHandler.completeOrForwardRequest`, `RestClient.httpRequest`): 409 while the
/// group has no leader or a rebalance is under way, 500 when the forward to the old leader fails.
fn leader_gone_answer(r: &RestResponse) -> bool {
    let message = r.error_message().unwrap_or_default();
    (r.status == 409 && message.starts_with("Cannot complete request"))
        || (r.status == 500 && message.starts_with("IO Error trying to forward REST request: "))
}

/// The index of the worker that leads `group`.
fn leader_of(proxy: &GroupCoordinator, group: &str, workers: &[Worker]) -> Result<usize, BoxError> {
    let leader = leader_url(proxy, group).ok_or("the group has no leader")?;
    workers
        .iter()
        .position(|w| leader == format!("http://{}/", worker_id(w)))
        .ok_or_else(|| format!("the leader {leader} is none of the workers").into())
}

/// A fifth FileStream source, apart from [`sources`]' four.
fn one_more_source(dir: &Path) -> Sources {
    let id = random_name("n");
    Sources {
        names: vec![format!("{id}-src")],
        inputs: vec![dir.join("in-new.txt")],
        topics: vec![format!("{id}_lines")],
    }
}

/// Three workers through a fresh coordinator, the four sources spread over them, 100 lines
/// copied by each and their offsets committed.
async fn running_cluster(
    group: &str,
    proxy: &GroupCoordinator,
    bootstrap: &str,
    s: &Sources,
) -> Result<(Vec<Worker>, BTreeSet<String>), BoxError> {
    let (workers, ids) = three_workers(&proxy.bootstrap(), group).await?;
    create_spread(&workers, &ids, s).await?;
    append_all(s, 0..100).await?;
    check_topics(bootstrap, s, 0..100, 0..100)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    // past an offset flush (1 s)
    tokio::time::sleep(Duration::from_millis(2500)).await;
    Ok((workers, ids))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_sent_to_a_follower_as_the_leader_dies_gets_kafkas_answer_and_succeeds_once_retried()
-> Result<(), BoxError> {
    let test = "a_write_sent_to_a_follower_as_the_leader_dies_gets_kafkas_answer_and_succeeds_once_retried";
    if skip(test) {
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let group = random_name("fault");
    let proxy = GroupCoordinator::start(&bootstrap, [&group]).await?;
    let dir = tempfile::tempdir()?;
    let s = sources(dir.path(), &random_name("f"));
    let (mut workers, ids) = running_cluster(&group, &proxy, &bootstrap, &s).await?;
    let fresh = one_more_source(dir.path());
    append_all(&fresh, 0..100).await?;
    let name = fresh.names[0].clone();
    let body = json!({"name": name, "config": source_config(&fresh, 0)});

    // Given the leader SIGKILLed,
    let victim = leader_of(&proxy, &group, &workers)?;
    workers[victim].kill().await?;
    let follower = workers[(victim + 1) % 3].rest();
    // when a connector is created through a follower at once,
    let sent = Instant::now();
    let first = follower.post("/connectors", &body).await?;
    let took = sent.elapsed();
    // then the answer is one Kafka gives while its leader is gone, in time,
    eprintln!(
        "a write sent just after the leader died: {} {} after {took:?}",
        first.status, first.text
    );
    assert!(
        leader_gone_answer(&first),
        "{} {}\n{}",
        first.status,
        first.text,
        logs(&workers)
    );
    assert!(took < REQUEST_TIMEOUT, "the answer took {took:?}");
    // and a client sending it again, as long as it gets those answers, has it done once the
    // group has a new leader.
    let deadline = Instant::now() + WAIT;
    let mut answers = vec![(first.status, first.text.clone())];
    let done = loop {
        let r = settled(|| follower.post("/connectors", &body)).await?;
        if !leader_gone_answer(&r) || Instant::now() >= deadline {
            break r;
        }
        answers.push((r.status, r.text.clone()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(
        (done.status, done.body["name"].as_str()),
        (201, Some(name.as_str())),
        "{}; the answers before: {answers:?}\n{}",
        done.text,
        logs(&workers)
    );
    let survivors: BTreeSet<String> = ids
        .iter()
        .filter(|id| **id != worker_id(&workers[victim]))
        .cloned()
        .collect();
    let mut all = s.names.clone();
    all.push(name.clone());
    wait_all_running(&follower, &all, &survivors, 2, WAIT)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    // The connector's config was written once (one record in the config topic),
    let configs = read_topic(
        &bootstrap,
        &format!("{group}.configs"),
        Until::Quiet(Duration::from_secs(3)),
    )
    .await?;
    let key = format!("connector-{name}");
    let written = configs
        .iter()
        .filter(|r| r.key.as_deref() == Some(key.as_bytes()) && r.value.is_some())
        .count();
    assert_eq!(written, 1, "{key} written {written} times");
    // and nothing is copied twice or lost, old sources and new alike.
    append_all(&s, 100..200).await?;
    check_topics(&bootstrap, &s, 0..200, 100..200)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    check_topics(&bootstrap, &fresh, 0..100, 0..100)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    for w in &mut workers {
        w.stop(Duration::from_secs(20)).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_killed_while_a_joining_worker_rebalances_the_group_leaves_the_survivors_running_everything_once()
-> Result<(), BoxError> {
    let test = "a_leader_killed_while_a_joining_worker_rebalances_the_group_leaves_the_survivors_running_everything_once";
    if skip(test) {
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let group = random_name("fault");
    let proxy = GroupCoordinator::start(&bootstrap, [&group]).await?;
    let dir = tempfile::tempdir()?;
    let s = sources(dir.path(), &random_name("f"));
    let (mut workers, ids) = running_cluster(&group, &proxy, &bootstrap, &s).await?;
    let victim = leader_of(&proxy, &group, &workers)?;
    let (_, generation, _) = proxy
        .coordinator()
        .state(&group)
        .ok_or("the group is unknown")?;

    // Given a fourth worker joining, which makes the group rebalance (watched while it
    // starts: it may join before it answers REST calls),
    // when the leader is SIGKILLed while the rebalance is under way,
    let coordinator = proxy.coordinator();
    let via = proxy.bootstrap();
    let watch = async {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let (state, now, _) = coordinator.state(&group).ok_or("the group is unknown")?;
            if matches!(
                state,
                GroupState::PreparingRebalance | GroupState::CompletingRebalance
            ) || now > generation
            {
                workers[victim].kill().await?;
                return Ok::<_, BoxError>((state, now));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Err("the group never rebalanced".into())
    };
    let (joined, watched) = tokio::join!(sluice(&via, &group), watch);
    let (state, now) = watched?;
    workers.push(joined?);
    eprintln!(
        "the leader killed in {} (generation {now}, was {generation})",
        state.name()
    );
    assert!(
        now == generation
            && matches!(
                state,
                GroupState::PreparingRebalance | GroupState::CompletingRebalance
            ),
        "the kill missed the rebalance: {} in generation {now}",
        state.name()
    );
    // then the survivors, the joining worker among them, run all the work,
    let mut survivors = ids.clone();
    survivors.remove(&worker_id(&workers[victim]));
    survivors.insert(worker_id(&workers[3]));
    let witness = workers[3].rest();
    let used = wait_all_running(&witness, &s.names, &survivors, 2, WAIT)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    eprintln!("after the kill the work runs on {used:?}");
    // as each of them says,
    for (i, w) in workers.iter().enumerate() {
        if i != victim {
            wait_all_running(&w.rest(), &s.names, &survivors, 2, WAIT)
                .await
                .map_err(|e| format!("{} says: {e}\n{}", worker_id(w), logs(&workers)))?;
        }
    }
    // and the lines written since are copied once each.
    append_all(&s, 100..200).await?;
    check_topics(&bootstrap, &s, 0..200, 100..200)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    for w in &mut workers {
        w.stop(Duration::from_secs(20)).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_reading_another_config_topic_runs_nothing_and_the_cluster_keeps_its_work()
-> Result<(), BoxError> {
    let test = "a_worker_reading_another_config_topic_runs_nothing_and_the_cluster_keeps_its_work";
    if skip(test) {
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let group = random_name("fault");
    let proxy = GroupCoordinator::start(&bootstrap, [&group]).await?;
    let dir = tempfile::tempdir()?;
    let s = sources(dir.path(), &random_name("f"));
    let (mut workers, ids) = running_cluster(&group, &proxy, &bootstrap, &s).await?;
    // Given a worker of the same group whose config topic is another (and empty),
    let odd_topic = format!("{group}.configs-odd");
    let mut odd = sluice_builder(&proxy.bootstrap(), &group)
        .env("CONFIG_STORAGE_TOPIC", &odd_topic)
        .start()
        .await?;
    let odd_id = worker_id(&odd);
    let all =
        |w: &[Worker], odd: &Worker| format!("{}\n--- odd {odd_id}\n{}", logs(w), odd.log_tail(60));
    // when the leader assigns it work (made at the leader's config offset, which its own
    // config topic never reaches),
    // then it says why it cannot run it, in its log and on /health, and leaves the group
    // for worker.unsync.backoff.ms (Kafka's default, 5 minutes),
    let said = wait_until(WAIT, || async {
        odd.log_tail(200)
            .contains("The config topic (config.storage.topic) ends at offset")
    })
    .await;
    assert!(
        said,
        "the odd worker never said why\n{}",
        all(&workers, &odd)
    );
    let health = odd.rest().get("/health").await?;
    eprintln!(
        "the odd worker's /health: {} {}",
        health.status, health.text
    );
    assert_eq!(health.status, 500, "{}", health.text);
    assert!(
        health
            .text
            .contains("(config.storage.topic) ends at offset"),
        "{}",
        health.text
    );
    // while the cluster runs all its work on its own workers, as each of them says,
    for w in &workers {
        wait_all_running(&w.rest(), &s.names, &ids, 2, WAIT)
            .await
            .map_err(|e| format!("{e}\n{}", all(&workers, &odd)))?;
    }
    // and the odd worker, out of the group, does not come back for more in a loop.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let assignments = std::fs::read_to_string(odd.log_path())?
        .matches("Joined group and got assignment.")
        .count();
    assert_eq!(assignments, 1, "{}", all(&workers, &odd));
    wait_all_running(&workers[0].rest(), &s.names, &ids, 2, WAIT)
        .await
        .map_err(|e| format!("{e}\n{}", all(&workers, &odd)))?;
    // Nothing was copied twice.
    append_all(&s, 100..200).await?;
    check_topics(&bootstrap, &s, 0..200, 0..200)
        .await
        .map_err(|e| format!("{e}\n{}", all(&workers, &odd)))?;
    odd.stop(Duration::from_secs(20)).await?;
    for w in &mut workers {
        w.stop(Duration::from_secs(20)).await?;
    }
    Ok(())
}

/// A network namespace joined to the host by a veth pair: the host's end `<net>.1/30`, the
/// namespace's `<net>.2/30`. Deleted (with the pair) when dropped, whatever the test's outcome.
struct Netns {
    name: String,
    host_link: String,
    host_ip: String,
    ns_ip: String,
}

impl Netns {
    /// An error (the reason) when namespaces cannot be made here (not root, no `ip`).
    fn create() -> Result<Self, String> {
        let id = std::process::id();
        // A /30 of our own, apart per process.
        let net = format!("10.231.{}", (id % 63) * 4);
        let ns = Netns {
            name: format!("sluice_cut_{id}"),
            host_link: format!("slh{}", id % 100_000),
            host_ip: format!("{net}.1"),
            ns_ip: format!("{net}.2"),
        };
        ip(&["netns", "add", &ns.name])?;
        let peer = format!("sln{}", id % 100_000);
        let host_cidr = format!("{}/30", ns.host_ip);
        let ns_cidr = format!("{}/30", ns.ns_ip);
        let steps: [&[&str]; 7] = [
            &[
                "link",
                "add",
                &ns.host_link,
                "type",
                "veth",
                "peer",
                "name",
                &peer,
            ],
            &["link", "set", &peer, "netns", &ns.name],
            &["addr", "add", &host_cidr, "dev", &ns.host_link],
            &["link", "set", &ns.host_link, "up"],
            &["-n", &ns.name, "addr", "add", &ns_cidr, "dev", &peer],
            &["-n", &ns.name, "link", "set", &peer, "up"],
            &["-n", &ns.name, "link", "set", "lo", "up"],
        ];
        for step in steps {
            ip(step)?;
        }
        Ok(ns)
    }

    /// Takes the host's end of the pair down (`false`) or up again.
    fn link(&self, up: bool) -> Result<(), String> {
        ip(&[
            "link",
            "set",
            &self.host_link,
            if up { "up" } else { "down" },
        ])
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        ip(&["link", "del", &self.host_link]).ok();
        ip(&["netns", "del", &self.name]).ok();
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_cut_off_the_network_stops_its_tasks_and_its_work_runs_elsewhere_never_twice()
-> Result<(), BoxError> {
    let test =
        "a_worker_cut_off_the_network_stops_its_tasks_and_its_work_runs_elsewhere_never_twice";
    if skip(test) {
        return Ok(());
    }
    let net = match Netns::create() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{test}: skipped, no network namespace here: {e}");
            return Ok(());
        }
    };
    // A broker and a coordinator on the host's end of the pair, which the namespace reaches.
    let broker = Broker::start_at(&net.host_ip, connect_e2e::free_port()?).await?;
    let bootstrap = broker.bootstrap().to_owned();
    let group = random_name("cut");
    let host_ip: std::net::Ipv4Addr = net.host_ip.parse()?;
    let proxy = GroupCoordinator::start_at(
        host_ip,
        &bootstrap,
        [&group],
        connect_e2e::CoordinatorConfig::default(),
    )
    .await?;
    let via = proxy.bootstrap();
    // Given two workers on the host and one in the namespace (REST on the pair's addresses,
    // so that they reach each other),
    let mut workers = vec![
        sluice_builder(&via, &group)
            .host(&net.host_ip)
            .start()
            .await?,
        sluice_builder(&via, &group)
            .host(&net.host_ip)
            .start()
            .await?,
        sluice_builder(&via, &group)
            .host(&net.ns_ip)
            .wrap(["ip", "netns", "exec", net.name.as_str()])
            .start()
            .await?,
    ];
    let ids: BTreeSet<String> = workers.iter().map(worker_id).collect();
    for w in &workers {
        let rest = w.rest();
        let joined = wait_until(WAIT, || async {
            rest.get("/health").await.is_ok_and(|r| r.status == 200)
        })
        .await;
        assert!(joined, "{} never joined\n{}", worker_id(w), logs(&workers));
    }
    let dir = tempfile::tempdir()?;
    let s = sources(dir.path(), &random_name("c"));
    create_spread(&workers, &ids, &s).await?;
    append_all(&s, 0..100).await?;
    check_topics(&bootstrap, &s, 0..100, 0..100)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // when the namespace's link goes down,
    net.link(false)?;
    let cut_at = Instant::now();
    // then the cut worker stops its tasks (the coordinator unreachable for
    // heartbeat.interval.ms), as it logs,
    let cut_log = workers[2].log_path();
    let since_cut = || {
        let log = std::fs::read_to_string(&cut_log).unwrap_or_default();
        let lines: Vec<String> = log
            .lines()
            .filter(|l| !l.contains("rdkafka") && !l.contains("connect_storage"))
            .map(str::to_owned)
            .collect();
        lines
    };
    let before = since_cut().len();
    let stopped = wait_until(WAIT, || async {
        let lines = since_cut();
        let after = lines.get(before..).unwrap_or_default();
        after
            .iter()
            .skip_while(|l| {
                !(l.contains("revoking the assignment") || l.contains("group membership lost"))
            })
            .any(|l| l.contains("Finished stopping tasks in preparation for rebalance"))
    })
    .await;
    assert!(
        stopped,
        "the cut worker kept its tasks\n{}\n{}",
        since_cut()
            .get(before.saturating_sub(5)..)
            .unwrap_or_default()
            .join("\n"),
        logs(&workers)
    );
    eprintln!(
        "the cut worker stopped its tasks {:?} after the cut",
        cut_at.elapsed()
    );
    // and the others run all the work once its session has expired,
    let hosts: BTreeSet<String> = workers[..2].iter().map(worker_id).collect();
    wait_all_running(&workers[0].rest(), &s.names, &hosts, 2, WAIT)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    eprintln!(
        "its work runs on the others {:?} after the cut",
        cut_at.elapsed()
    );
    // copying what is written meanwhile once;
    append_all(&s, 100..200).await?;
    check_topics(&bootstrap, &s, 0..200, 100..200)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    // when the link comes back, the worker joins again and gets work,
    net.link(true)?;
    wait_all_running(&workers[0].rest(), &s.names, &ids, 3, WAIT)
        .await
        .map_err(|e| {
            format!(
                "{e}\n--- the cut worker since the cut:\n{}",
                since_cut().get(before..).unwrap_or_default().join("\n")
            )
        })?;
    // and nothing is copied twice.
    append_all(&s, 200..300).await?;
    check_topics(&bootstrap, &s, 0..300, 100..300)
        .await
        .map_err(|e| format!("{e}\n{}", logs(&workers)))?;
    for w in &mut workers {
        w.stop(Duration::from_secs(20)).await?;
    }
    drop(net);
    Ok(())
}
