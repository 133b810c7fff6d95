{
  "Comment": "Rotates IAM user access keys: plan, rotate and hand off each user, one grace wait, then retire the previously delivered keys. Contract: docs/design.md.",
  "StartAt": "Plan",
  "States": {
    "Plan": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "${plan_function_arn}",
        "Payload": {
          "input.$": "$",
          "stateMachineArn.$": "$$.StateMachine.Id",
          "executionArn.$": "$$.Execution.Id",
          "startTime.$": "$$.Execution.StartTime"
        }
      },
      "OutputPath": "$.Payload",
      "Retry": [
        {
          "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException"
          ],
          "IntervalSeconds": 2,
          "MaxAttempts": 6,
          "BackoffRate": 2,
          "MaxDelaySeconds": 30,
          "JitterStrategy": "FULL"
        }
      ],
      "Catch": [
        {
          "ErrorEquals": [
            "InvalidRunInput",
            "InvalidUsersParameter",
            "UnknownUser",
            "RotationAlreadyRunning"
          ],
          "Next": "ExplainFailure"
        }
      ],
      "Next": "RotateUsers"
    },
    "RotateUsers": {
      "Type": "Map",
      "ItemsPath": "$.items",
      "MaxConcurrency": ${max_concurrency},
      "ItemProcessor": {
        "ProcessorConfig": {
          "Mode": "INLINE"
        },
        "StartAt": "Rotate",
        "States": {
          "Rotate": {
            "Comment": "Not retried on a function error: a repeated partial rotation could strand a key.",
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
              "FunctionName": "${rotate_function_arn}",
              "Payload.$": "$"
            },
            "OutputPath": "$.Payload",
            "Retry": [
              {
                "ErrorEquals": [
                  "Lambda.ServiceException",
                  "Lambda.AWSLambdaException",
                  "Lambda.SdkClientException",
                  "Lambda.TooManyRequestsException"
                ],
                "IntervalSeconds": 2,
                "MaxAttempts": 6,
                "BackoffRate": 2,
                "MaxDelaySeconds": 30,
                "JitterStrategy": "FULL"
              }
            ],
            "Catch": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "ResultPath": "$.error",
                "Next": "RotateFailed"
              }
            ],
            "Next": "Ready"
          },
          "Ready": {
            "Type": "Choice",
            "Choices": [
              {
                "Variable": "$.outcome",
                "StringEquals": "ready",
                "Next": "Handoff"
              }
            ],
            "Default": "NotRotated"
          },
          "Handoff": {
            "Comment": "The credentials handler gets names and ids; it reads the key from the secret.",
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
              "FunctionName": "${credentials_handler_arn}",
              "Payload": {
                "username.$": "$.username",
                "secretName.$": "$.secretName",
                "metadata.$": "$.metadata",
                "secretArn.$": "$.secretArn",
                "accessKeyId.$": "$.accessKeyId",
                "versionId.$": "$.versionId"
              }
            },
            "ResultPath": null,
            "Retry": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "IntervalSeconds": 5,
                "MaxAttempts": 3,
                "BackoffRate": 2,
                "MaxDelaySeconds": 60,
                "JitterStrategy": "FULL"
              }
            ],
            "Catch": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "ResultPath": "$.error",
                "Next": "RollBack"
              }
            ],
            "Next": "MarkDelivered"
          },
          "MarkDelivered": {
            "Comment": "The new version is now the delivered one: remove its pending-handoff stage.",
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:secretsmanager:updateSecretVersionStage",
            "Parameters": {
              "SecretId.$": "$.secretArn",
              "VersionStage.$": "$.pendingStage",
              "RemoveFromVersionId.$": "$.versionId"
            },
            "ResultPath": null,
            "Retry": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "IntervalSeconds": 1,
                "MaxAttempts": 8,
                "BackoffRate": 2,
                "MaxDelaySeconds": 60,
                "JitterStrategy": "FULL"
              }
            ],
            "Catch": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "ResultPath": "$.markError",
                "Next": "MarkDeliveredFailed"
              }
            ],
            "Next": "HandedOff"
          },
          "HandedOff": {
            "Type": "Pass",
            "Parameters": {
              "username.$": "$.username",
              "outcome": "handed_off",
              "accessKeyId.$": "$.accessKeyId",
              "retireKeyId.$": "$.retireKeyId"
            },
            "End": true
          },
          "NotRotated": {
            "Type": "Pass",
            "Parameters": {
              "username.$": "$.username",
              "outcome.$": "$.outcome",
              "detail.$": "$.detail"
            },
            "End": true
          },
          "RollBack": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
              "FunctionName": "${roll_back_function_arn}",
              "Payload.$": "$"
            },
            "OutputPath": "$.Payload",
            "Retry": [
              {
                "ErrorEquals": [
                  "Lambda.ServiceException",
                  "Lambda.AWSLambdaException",
                  "Lambda.SdkClientException",
                  "Lambda.TooManyRequestsException"
                ],
                "IntervalSeconds": 2,
                "MaxAttempts": 6,
                "BackoffRate": 2,
                "MaxDelaySeconds": 30,
                "JitterStrategy": "FULL"
              }
            ],
            "Catch": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "ResultPath": "$.rollBackError",
                "Next": "RollBackFailed"
              }
            ],
            "End": true
          },
          "RotateFailed": {
            "Type": "Pass",
            "Parameters": {
              "username.$": "$.user.username",
              "outcome": "failed",
              "error.$": "$.error.Error",
              "message.$": "$.error.Cause"
            },
            "End": true
          },
          "MarkDeliveredFailed": {
            "Type": "Pass",
            "Parameters": {
              "username.$": "$.username",
              "outcome": "failed",
              "error.$": "$.markError.Error",
              "message.$": "$.markError.Cause"
            },
            "End": true
          },
          "RollBackFailed": {
            "Type": "Pass",
            "Parameters": {
              "username.$": "$.username",
              "outcome": "failed",
              "error.$": "$.rollBackError.Error",
              "message.$": "$.rollBackError.Cause"
            },
            "End": true
          }
        }
      },
      "ResultPath": "$.results",
      "Next": "DryRun"
    },
    "DryRun": {
      "Comment": "A dry run handed nothing off, so nothing waits to be retired.",
      "Type": "Choice",
      "Choices": [
        {
          "Variable": "$.dry_run",
          "BooleanEquals": true,
          "Next": "Finish"
        }
      ],
      "Default": "GraceWait"
    },
    "GraceWait": {
      "Comment": "One wait for the whole run: the handlers switch to their new keys before the old ones go.",
      "Type": "Wait",
      "Seconds": ${cleanup_wait_seconds},
      "Next": "Finish"
    },
    "Finish": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "${finish_function_arn}",
        "Payload": {
          "dry_run.$": "$.dry_run",
          "results.$": "$.results"
        }
      },
      "OutputPath": "$.Payload",
      "Retry": [
        {
          "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException"
          ],
          "IntervalSeconds": 2,
          "MaxAttempts": 6,
          "BackoffRate": 2,
          "MaxDelaySeconds": 30,
          "JitterStrategy": "FULL"
        }
      ],
      "Catch": [
        {
          "ErrorEquals": [
            "RotationFailed"
          ],
          "Next": "ExplainFailure"
        }
      ],
      "End": true
    },
    "ExplainFailure": {
      "Comment": "Our functions' errors carry a readable message: make it the cause of the failed run.",
      "Type": "Pass",
      "Parameters": {
        "error.$": "$.Error",
        "cause.$": "States.StringToJson($.Cause)"
      },
      "Next": "RunFailed"
    },
    "RunFailed": {
      "Type": "Fail",
      "ErrorPath": "$.error",
      "CausePath": "$.cause.errorMessage"
    }
  }
}
