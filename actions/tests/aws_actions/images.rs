//! `aws:createImage`, `aws:copyImage` and `aws:deleteImage`.

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

const CREATE: &str = r"
- name: image
  action: aws:createImage
  inputs: {InstanceId: i-1, ImageName: golden, ImageDescription: nightly, NoReboot: true}
  outputs:
  - {Name: Id, Selector: $.ImageId, Type: String}
- name: use
  action: aws:executeAwsApi
  inputs: {Service: ec2, Api: DescribeImages, ImageIds: ['{{ image.ImageId }}']}
";

#[test]
fn create_image_waits_until_available_and_outputs_the_image() {
    let out = case(&runbook(CREATE))
        .mocks(
            r"
aws:
- service: ec2
  api: CreateImage
  params: {InstanceId: i-1, Name: golden, Description: nightly, NoReboot: true}
  returns: {ImageId: ami-9}
- service: ec2
  api: DescribeImages
  params: {ImageIds: [ami-9]}
  sequence:
  - returns: {Images: [{ImageId: ami-9, State: pending}]}
  - returns: {Images: [{ImageId: ami-9, State: pending}]}
  - returns: {Images: [{ImageId: ami-9, State: available}]}
",
        )
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.output("image", "ImageId"), Some(&json!("ami-9")));
    assert_eq!(out.output("image", "ImageState"), Some(&json!("available")));
    assert_eq!(out.output("image", "Id"), Some(&json!("ami-9")));
    assert_eq!(out.call_times("DescribeImages"), [0, 5, 10, 10]);
    assert_eq!(out.params_of("DescribeImages")[3], &json!({"ImageIds": ["ami-9"]}));
}

#[test]
fn create_image_fails_when_the_image_fails() {
    let out = case(&runbook(CREATE))
        .mocks(
            r"
aws:
- {service: ec2, api: CreateImage, returns: {ImageId: ami-9}}
- service: ec2
  api: DescribeImages
  sequence:
  - returns: {Images: [{ImageId: ami-9, State: pending}]}
  - returns: {Images: [{ImageId: ami-9, State: failed, StateReason: {Message: 'snapshot failed'}}]}
",
        )
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.failure("image"), "image ami-9 is failed: snapshot failed");
    assert_eq!(out.step("use").step_status, Status::Pending);
}

#[test]
fn create_image_rejects_missing_and_unknown_inputs() {
    let out =
        case(&runbook("- {name: image, action: aws:createImage, inputs: {ImageName: x}}\n")).run();
    assert_eq!(
        out.failure("image"),
        "invalid inputs for aws:createImage: missing field `InstanceId`"
    );
    let out = case(&runbook(
        "- {name: image, action: aws:createImage, inputs: {InstanceId: i-1, ImageName: x, Reboot: true}}\n",
    ))
    .run();
    assert!(out.failure("image").contains("unknown field `Reboot`"), "{}", out.failure("image"));
    let out = case(&runbook(
        "- {name: image, action: aws:createImage, inputs: {InstanceId: i-1, ImageName: x, NoReboot: maybe}}\n",
    ))
    .run();
    assert_eq!(
        out.failure("image"),
        r#"invalid inputs for aws:createImage: NoReboot: expected true or false, found the text "maybe""#
    );
    assert!(out.calls().is_empty());
}

#[test]
fn create_image_that_never_becomes_available_times_out() {
    let out = case(&runbook(
        "- {name: image, action: aws:createImage, timeoutSeconds: 900, inputs: {InstanceId: i-1, ImageName: x}}\n",
    ))
    .mocks(
        "aws:\n- {service: ec2, api: CreateImage, returns: {ImageId: ami-9}}\n- {service: ec2, api: DescribeImages, returns: {Images: [{ImageId: ami-9, State: pending}]}}\n",
    )
    .run();
    assert_eq!(out.step("image").step_status, Status::TimedOut);
    assert_eq!(out.step_seconds("image"), 900);
}

#[test]
fn copy_image_copies_into_the_run_s_region_and_waits() {
    let out = case(&runbook(
        r"
- name: copy
  action: aws:copyImage
  inputs: {SourceRegion: eu-west-1, SourceImageId: ami-1, ImageName: copy, Encrypted: 'true', KmsKeyId: k}
",
    ))
    .mocks(
        r"
aws:
- service: ec2
  api: CopyImage
  params: {SourceRegion: eu-west-1, SourceImageId: ami-1, Name: copy, Encrypted: true, KmsKeyId: k}
  returns: {ImageId: ami-2}
- service: ec2
  api: DescribeImages
  sequence:
  - returns: {Images: [{ImageId: ami-2, State: pending}]}
  - returns: {Images: [{ImageId: ami-2, State: available}]}
",
    )
    .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.output("copy", "ImageId"), Some(&json!("ami-2")));
    assert_eq!(out.output("copy", "ImageState"), Some(&json!("available")));
    out.assert_all_mocks_used();
}

#[test]
fn copy_image_fails_on_an_api_error() {
    let out = case(&runbook(
        "- {name: copy, action: aws:copyImage, inputs: {SourceRegion: eu-west-1, SourceImageId: ami-1, ImageName: copy}}\n",
    ))
    .mocks("aws:\n- {service: ec2, api: CopyImage, error: 'InvalidAMIID.NotFound: no such image'}\n")
    .run();
    assert_eq!(out.failure("copy"), "ec2.CopyImage failed: InvalidAMIID.NotFound: no such image");
}

const DELETE: &str = "- {name: delete, action: aws:deleteImage, inputs: {ImageId: ami-1}}\n";

#[test]
fn delete_image_deregisters_then_deletes_each_snapshot() {
    let out = case(&runbook(DELETE))
        .mocks(
            r"
aws:
- service: ec2
  api: DescribeImages
  params: {ImageIds: [ami-1]}
  returns:
    Images:
    - ImageId: ami-1
      BlockDeviceMappings:
      - {DeviceName: /dev/xvda, Ebs: {SnapshotId: snap-1}}
      - {DeviceName: /dev/xvdb, Ebs: {SnapshotId: snap-2}}
      - {DeviceName: /dev/xvdc, VirtualName: ephemeral0}
- {service: ec2, api: DeregisterImage, params: {ImageId: ami-1}, returns: {}}
- {service: ec2, api: DeleteSnapshot, params: {SnapshotId: snap-1}, returns: {}}
- service: ec2
  api: DeleteSnapshot
  params: {SnapshotId: snap-2}
  sequence:
  - error: 'InvalidSnapshot.InUse: in use by ami-1'
  - returns: {}
",
        )
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(
        out.calls(),
        [
            "ec2.DescribeImages",
            "ec2.DeregisterImage",
            "ec2.DeleteSnapshot",
            "ec2.DeleteSnapshot",
            "ec2.DeleteSnapshot"
        ]
    );
    assert_eq!(out.call_times("DeleteSnapshot"), [0, 0, 5]);
    out.assert_all_mocks_used();
}

#[test]
fn delete_image_fails_for_an_image_ec2_does_not_list() {
    let out = case(&runbook(DELETE))
        .mocks("aws:\n- {service: ec2, api: DescribeImages, returns: {Images: []}}\n")
        .run();
    assert_eq!(out.failure("delete"), "image ami-1 was not found");
    assert_eq!(out.calls(), ["ec2.DescribeImages"]);
}

#[test]
fn delete_image_gives_up_on_a_snapshot_that_stays_in_use() {
    let out = case(&runbook(DELETE))
        .mocks(
            r"
aws:
- {service: ec2, api: DescribeImages, returns: {Images: [{ImageId: ami-1, BlockDeviceMappings: [{Ebs: {SnapshotId: snap-1}}]}]}}
- {service: ec2, api: DeregisterImage, returns: {}}
- {service: ec2, api: DeleteSnapshot, error: 'InvalidSnapshot.InUse: in use'}
",
        )
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.error_code("delete"), Some("InvalidSnapshot.InUse"));
    assert_eq!(out.call_times("DeleteSnapshot"), [0, 5, 10, 15, 20, 25]);
}
