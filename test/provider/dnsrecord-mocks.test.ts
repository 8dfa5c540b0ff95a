/**
 * DnsRecord under Pulumi's mocks: the resource registers with the expected type token and inputs,
 * and the serialized provider it carries into state (`__provider`) holds no key.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect, test } from "vitest";

const KEY = "MOCKKEY-5f0c2e9a7b";

test("constructing DnsRecord registers pulumi-nodejs:dynamic/dreamhost:DnsRecord with its inputs and a key-free provider", async () => {
    process.env.DREAMHOST_API_KEY = KEY;
    const registered: pulumi.runtime.MockResourceArgs[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registered.push(args);
                return { id: `${args.inputs.record}/${args.inputs.type}`, state: args.inputs };
            },
            call: (args) => args.inputs,
        },
        "mokowaas",
        "test",
        false,
    );
    const { DnsRecord } = await import("../../components/dreamhost");

    const dev = new DnsRecord("acme-dev", { record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
    const [id, value, comment] = await new Promise<[string, string, string]>((resolve) =>
        pulumi.all([dev.id, dev.value, dev.comment]).apply(resolve),
    );

    expect(id).toBe("dev.acme.example.com/CNAME");
    expect(value).toBe("web1.platform.example.net");
    expect(comment).toBe("");
    expect(registered).toHaveLength(1);
    expect(registered[0].type).toBe("pulumi-nodejs:dynamic/dreamhost:DnsRecord");
    const { __provider, ...inputs } = registered[0].inputs;
    expect(inputs).toEqual({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net", comment: "" });
    expect(typeof __provider).toBe("string");
    expect(__provider).toContain("exports.handler");
    expect(__provider).not.toContain(KEY);
    delete process.env.DREAMHOST_API_KEY;
}, 60_000);
