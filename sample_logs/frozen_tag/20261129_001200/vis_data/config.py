custom_imports = dict(
    allow_failed_imports=False, imports=[
        'toy_fmgen',
    ])
default_hooks = dict(
    checkpoint=dict(
        by_epoch=False, interval=1000, max_keep_ckpts=1,
        type='CheckpointHook'),
    logger=dict(interval=50, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'))
default_scope = None
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
ga = 2
load_from = None
log_level = 'INFO'
log_processor = dict(by_epoch=False, type='LogProcessor', window_size=1)
max_iters = 1500
model = dict(
    beta=3.0,
    debug_keys=True,
    dim=8,
    dino_alpha=1.0,
    dino_warmup_iters=600,
    emb_dim=32,
    feat_dim=32,
    flow_out_scale=1.0,
    flow_uses_cond=False,
    flush_every_microstep=False,
    freeze_text_embed=True,
    hidden=128,
    logvar_init_bias=0.0,
    num_classes=10,
    teacher_rerandomise=False,
    teacher_scale=1.0,
    type='ToyFlowGen')
optim_wrapper = dict(
    accumulative_counts=2,
    optimizer=dict(lr=3e-05, type='AdamW', weight_decay=0.0001),
    type='OptimWrapper')
param_scheduler = [
    dict(begin=0, by_epoch=False, end=100, start_factor=0.1, type='LinearLR'),
]
randomness = dict(deterministic=False, seed=22)
resume = False
train_cfg = dict(max_iters=1500, type='IterBasedTrainLoop')
train_dataloader = dict(
    batch_size=256,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        centre_offset=0.0,
        centre_scale=1.0,
        dim=8,
        num_classes=10,
        num_samples=8192,
        point_std=0.5,
        seed=0,
        type='ToyMixtureDataset'),
    num_workers=0,
    sampler=dict(shuffle=True, type='InfiniteSampler'))
visualizer = dict(
    type='Visualizer',
    vis_backends=[
        dict(type='LocalVisBackend'),
        dict(type='TensorboardVisBackend'),
    ])
work_dir = 'work_dirs/frozen_tag'
