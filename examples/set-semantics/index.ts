import { setSemantics } from "./program";

const enrollment = setSemantics();

/** What the service holds after this step. */
export const allocationPolicy = enrollment.allocationPolicy;
export const iotHubs = enrollment.iotHubs;
export const tags = enrollment.tags;
export const desired = enrollment.desired;
export const etag = enrollment.etag;
