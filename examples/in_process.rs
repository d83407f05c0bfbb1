//! Embeds Baton with in-process handlers, which get the same lock / complete / failure /
//! BPMN error lifecycle as HTTP workers: `cargo run --example in_process`.

use baton::engine::{Config, Engine, LockedTask, NewDeployment, Outcome, StartInstance, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::open(Config::file("in-process-example.db"))?;
    let model = std::fs::read("bpmn/test_data/ok/client-creation.bpmn")?;
    let resources = vec![("client-creation.bpmn".into(), model)];
    let dedup = NewDeployment {
        duplicate_filtering: true,
        ..Default::default()
    };
    engine.deploy(NewDeployment { resources, ..dedup }).await?;
    engine.register_handler("search-client", |_: LockedTask| async {
        let vars = [("clientFound", false.into()), ("client_id", Value::Null)];
        Outcome::Complete(vars.map(|(n, v)| (n.into(), v)).into())
    });
    engine.register_handler("create-client", |task: LockedTask| async move {
        let email = task.variables.iter().find(|(n, _)| n == "email");
        println!(
            "creating a client for {}",
            email.map_or(&Value::Null, |v| &v.1)
        );
        Outcome::Complete(vec![("client_id".into(), "client-42".into())])
    });
    let start = StartInstance::by_key("ClientCreationProcess").variable("email", "ada@example.com");
    let instance = engine.start(start).await?;
    while engine.instance(&instance.id).await.is_ok() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for v in engine.historic_variables(&instance.id).await? {
        println!("{} = {}", v.name, v.value);
    }
    Ok(())
}
