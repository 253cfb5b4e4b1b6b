import { quickstart } from "./program";

const { sensor, gateway, camera } = quickstart();

/** Registration ids, to hand to the devices. */
export const registrationIds = [sensor.registrationId, gateway.registrationId, camera.registrationId];
/** The sensor's primary key (secret: `pulumi stack output --show-secrets sensorPrimaryKey`). */
export const sensorPrimaryKey = sensor.attestation.apply((a) => a.primaryKey);
