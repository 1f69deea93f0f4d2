"""Drives the official NeMo Microservices SDK (strict response validation) against a gateway URL.

    python sdk_conformance.py <base_url> entity-store|mocks|namespaces [model_id] [nmp_namespace]

entity-store: namespaces and models create, retrieve, list to the end, update, delete (the proxy
generation: /v1/models goes to the Entity Store). mocks: what the doctor's fixes make the mock
generation answer (the base model's record, deployment-management retrieve/list/create), plus the
namespaces path. Prints one JSON object: the calls made and, on failure, which call and why.
"""
import json
import sys
import uuid

from nemo_microservices import NeMoMicroservices

base, mode = sys.argv[1], sys.argv[2]
client = NeMoMicroservices(base_url=base, _strict_response_validation=True, max_retries=0, timeout=20)
calls = []


def step(name, fn):
    try:
        out = fn()
    except Exception as e:  # report which call failed and why (with the validation detail), then stop
        cause = f" ({e.__cause__})" if e.__cause__ else ""
        print(json.dumps({"ok": False, "calls": calls, "failed": name, "error": f"{type(e).__name__}: {e}{cause}"[:2000]}))
        sys.exit(1)
    calls.append(name)
    return out


def expect(ok, message):
    """An expectation on an answer the SDK accepted: reported like a failed call."""
    if not ok:
        print(json.dumps({"ok": False, "calls": calls, "failed": calls[-1] if calls else "start", "error": message}))
        sys.exit(1)


def listed(pager, limit=1000):
    """Every item of a list call, page by page, as a user's loop reads them; fails if it does not end."""
    items = []
    for item in pager:
        items.append(item)
        if len(items) > limit:
            raise RuntimeError(f"the pager did not end after {limit} items")
    return items


tag = uuid.uuid4().hex[:8]
ns = f"sdk-{tag}"
step("namespaces.create", lambda: client.namespaces.create(id=ns, description="SDK conformance", custom_fields={"k": "v"}))
got = step("namespaces.retrieve", lambda: client.namespaces.retrieve(ns))
expect(got.custom_fields == {"k": "v"}, f"custom_fields came back as {got.custom_fields!r}")
step("namespaces.update", lambda: client.namespaces.update(ns, description="updated"))
ids = [n.id for n in step("namespaces.list (to the end)", lambda: listed(client.namespaces.list(page_size=1)))]
expect(ns in ids, f"{ns} not listed: {ids}")

if mode == "entity-store":
    spec = {"context_size": 8192, "is_chat": True, "num_parameters": 1000000000, "num_virtual_tokens": 0}
    artifact = {"files_url": f"nim://{ns}/m", "status": "upload_completed"}
    for i in range(3):
        step(f"models.create #{i}", lambda i=i: client.models.create(name=f"m{i}", namespace=ns, spec=spec, artifact=artifact))
    obj = step(
        "models.create (object base_model)",
        lambda: client.models.create(name="obj", namespace=ns, base_model={"namespace": ns, "name": "m0"}),
    )
    expect(isinstance(obj.base_model, dict), f"base_model came back as {obj.base_model!r}")
    anon = step("models.create (no name, no namespace)", lambda: client.models.create(description="defaults"))
    expect(anon.namespace == "default" and anon.name, f"defaults: {anon.namespace!r}/{anon.name!r}")
    step("models.retrieve", lambda: client.models.retrieve("m0", namespace=ns))
    step("models.update", lambda: client.models.update("m0", namespace=ns, description="patched"))
    names = [m.name for m in step("models.list (to the end)", lambda: listed(client.models.list(page_size=2)))]
    for n in ["m0", "m1", "m2", "obj", anon.name]:
        expect(n in names, f"{n} not listed: {names}")
    if len(sys.argv) > 3:
        mns, mname = sys.argv[3].split("/", 1)
        step("models.retrieve (base model)", lambda: client.models.retrieve(mname, namespace=mns))
    for n in ["m0", "m1", "m2", "obj"]:
        step(f"models.delete {n}", lambda n=n: client.models.delete(n, namespace=ns))
    step("models.delete (defaults)", lambda: client.models.delete(anon.name, namespace="default"))
elif mode == "mocks":
    model, nmp = sys.argv[3], sys.argv[4]
    mns, mname = model.split("/", 1)
    step("models.retrieve (the doctor's mock)", lambda: client.models.retrieve(mname, namespace=mns))
    dep = step(
        "deployment.model_deployments.retrieve (the doctor's mock)",
        lambda: client.deployment.model_deployments.retrieve(model.replace("/", "-"), namespace=nmp),
    )
    expect(dep.status_details.status == "ready", f"status {dep.status_details.status!r}")
    step("deployment.model_deployments.list (to the end)", lambda: listed(client.deployment.model_deployments.list()))
    step(
        "deployment.model_deployments.create (the doctor's mock)",
        lambda: client.deployment.model_deployments.create(config="nim", name=model.replace("/", "-"), namespace=nmp),
    )
elif mode != "namespaces":  # namespaces: only what every mode does (the flywheel's first call)
    raise SystemExit(f"unknown mode {mode}")

step("namespaces.delete", lambda: client.namespaces.delete(ns))
print(json.dumps({"ok": True, "calls": calls}))
