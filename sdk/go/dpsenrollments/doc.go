// Azure IoT Hub Device Provisioning Service enrollments and enrollment groups with the Set semantics of the Az cmdlets.
package dpsenrollments
