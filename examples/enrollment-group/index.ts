import { enrollmentGroup } from "./program";

const { group, deviceKey } = enrollmentGroup();

/** What the service holds after this step. */
export const allocationPolicy = group.allocationPolicy;
export const iotHubs = group.iotHubs;
export const tags = group.tags;
export const desired = group.desired;
export const etag = group.etag;
/** The device key of the `device` config (a secret: `pulumi stack output deviceKey --show-secrets`). */
export const deviceKeyOfDevice = deviceKey;
