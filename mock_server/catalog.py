"""The resources the mock serves by default: the v3 API's, then the legacy v1 API's. Declared once, here.

Order matters: it is the order of the route table (so of the OpenAPI document), of state exports
and of the control plane's counts. Seed files create resources after the ones they refer to.
"""

from __future__ import annotations

from .api import conversations as conversation_api
from .api import knowledge_bases as knowledge_base_api
from .domain import characters, knowledge
from .models.agents import EquosAgent
from .models.avatars import AvatarRecord
from .models.characters import (
    CreateEquosCharacterRequest,
    EquosCharacter,
    ListEquosCharactersResponse,
    UpdateEquosCharacterRequest,
)
from .models.conversations import EquosConversation
from .models.resources import (
    CreateDocumentRequest,
    CreateEquosBrainRequest,
    CreateEquosFaceRequest,
    CreateEquosVoiceRequest,
    CreateKnowledgeBaseRequest,
    EquosBrain,
    EquosDocument,
    EquosFace,
    EquosKnowledgeBase,
    EquosVoice,
    ListEquosBrainsResponse,
    ListEquosFacesResponse,
    ListEquosKnowledgeBasesResponse,
    ListEquosVoicesResponse,
)
from .models.sessions import SessionRecord
from .resource import Catalog, Reference, Resource

BRAINS = Resource(
    "brains", "brain", EquosBrain, path="/v3/brains", id_prefix="brn", sdk_group="brains",
    create=CreateEquosBrainRequest, list_response=ListEquosBrainsResponse,
)
CHARACTERS = Resource(
    "characters", "character", EquosCharacter, path="/v3/characters", id_prefix="chr", sdk_group="characters",
    create=CreateEquosCharacterRequest, list_response=ListEquosCharactersResponse,
    # Not nullable in the real spec (unlike every other update): an unknown id is a 404.
    update=UpdateEquosCharacterRequest, update_method="PUT", update_nullable=False,
    references=(
        Reference("faceId", "faces", populate="face"),
        Reference("voiceId", "voices", populate="voice"),
        Reference("brainId", "brains", populate="brain"),
        Reference("knowledgeBaseId", "knowledge_bases", populate="knowledgeBase"),
    ),
    indexed=("livekitIdentity",), check_rule=characters.check,
    summaries=(("get", "Get an Equos Character by ID, with face, voice, brain and knowledge base."),
               ("update", "Update an Equos Character (partial; null clears).")),
)
FACES = Resource(
    "faces", "face", EquosFace, path="/v3/faces", id_prefix="fce", sdk_group="faces",
    create=CreateEquosFaceRequest, list_response=ListEquosFacesResponse,
    verbs=("list", "get", "create", "delete"), unique=("identity",),
    summaries=(("create", "Create a new Equos Face (409 if the identity exists)."),),
)
VOICES = Resource(
    "voices", "voice", EquosVoice, path="/v3/voices", id_prefix="vce", sdk_group="voices",
    create=CreateEquosVoiceRequest, list_response=ListEquosVoicesResponse, unique=("identity",),
    summaries=(("create", "Create a new Equos Voice (409 if the identity exists)."),),
)
KNOWLEDGE_BASES = Resource(
    "knowledge_bases", "knowledge base", EquosKnowledgeBase, path="/v3/knowledge-bases", id_prefix="kb",
    sdk_group="knowledge_bases", seed_key="knowledgeBases", title="Knowledge Base",
    create=CreateKnowledgeBaseRequest, list_response=ListEquosKnowledgeBasesResponse, list_key="items",
    verbs=("list", "get", "create", "delete"),
    create_rule=knowledge.create_knowledge_base, shape=knowledge.with_documents,
    summaries=(("list", "List Knowledge Bases."), ("get", "Get a Knowledge Base by ID, with its documents."),
               ("create", "Create a Knowledge Base."), ("delete", "Delete a Knowledge Base and its documents.")),
    operations=knowledge_base_api.DOCUMENT_OPERATIONS,
)
DOCUMENTS = Resource(
    "documents", "document", EquosDocument, id_prefix="doc", create=CreateDocumentRequest,
    references=(Reference("knowledgeBaseId", "knowledge_bases", on_delete="cascade", parent=True),),
    # Seeded inside their knowledge base's entry; served through the knowledge base's own operations.
    create_rule=lambda rt, org, kb_id, body: knowledge.add_document(rt, org, kb_id, body, "http://seed"),
)
CONVERSATIONS = Resource(
    "conversations", "conversation", EquosConversation, path="/v3/conversations", id_prefix="cnv",
    sdk_group="conversations", seed_key="", verbs=(),  # all its own: conversations end by themselves
    operation_ids=(("list", "listConversations"), ("get", "getConversationById"), ("create", "startConversation")),
    operations=conversation_api.OPERATIONS,
)
# The legacy v1 resources: served by the legacy modules (api/legacy.py), stored and exported like the rest.
AGENTS = Resource("agents", "agent", EquosAgent, seed_key="", legacy=True)
AVATARS = Resource("avatars", "avatar", AvatarRecord, seed_key="", legacy=True, indexed=("identity",))
SESSIONS = Resource("sessions", "session", SessionRecord, seed_key="", legacy=True)

DEFAULT = Catalog((BRAINS, CHARACTERS, FACES, VOICES, KNOWLEDGE_BASES, DOCUMENTS, CONVERSATIONS,
                   AGENTS, AVATARS, SESSIONS))
