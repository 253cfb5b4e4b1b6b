import * as pulumi from "@pulumi/pulumi";
import { azureExample } from "./program";

const config = new pulumi.Config();
const example = azureExample({ location: config.get("location"), prefix: config.get("prefix") });

/** The DPS's ID scope, which devices need to provision. */
export const idScope = example.dps.properties.idScope;
/** The DPS's global device endpoint host name. */
export const deviceProvisioningHostName = example.dps.properties.deviceProvisioningHostName;
/** The IoT hub devices are assigned to. */
export const hubHostName = example.hub.properties.hostName;
/** The registration ids of the enrollments. */
export const registrationIds = Object.values(example.enrollments).map((e) => e.registrationId);
